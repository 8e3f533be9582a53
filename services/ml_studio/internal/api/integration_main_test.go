package api_test

import (
	"os"
	"testing"

	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

// TestMain stops the integration stack (cerberus, ml_studio) after every
// test; the stack itself starts on the first test that asks for it.
func TestMain(m *testing.M) {
	code := m.Run()
	apitest.Shutdown()
	os.Exit(code)
}
