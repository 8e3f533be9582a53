package api_test

import (
	"os"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

// TestMain stops the integration stack (cerberus, ml_studio) after every
// test, then the containers of the testcontainers path, if any; the stack
// itself starts on the first test that asks for it.
func TestMain(m *testing.M) {
	os.Exit(testenv.Main(&shutdownFirst{m}))
}

// shutdownFirst stops the stack when the tests end, before testenv.Main
// removes the servers under it.
type shutdownFirst struct{ m *testing.M }

func (s *shutdownFirst) Run() int {
	code := s.m.Run()
	apitest.Shutdown()
	return code
}
