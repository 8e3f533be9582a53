package api_test

import (
	"os"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
)

// TestMain removes the containers the testcontainers path started, if any.
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
