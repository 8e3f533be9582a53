package servers

import (
	"testing"
	"time"
)

// StartedForTest starts s (made with err) and waits until it is ready,
// failing the test otherwise; the service is stopped when the test ends.
func StartedForTest(t testing.TB, s *Service, err error) *Service {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = s.Stop(15 * time.Second) })
	if err := s.StartReady(t.Context(), 60*time.Second); err != nil {
		t.Fatal(err)
	}
	return s
}
