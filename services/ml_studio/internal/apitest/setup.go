package apitest

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// setupTB is the testing.TB the shared stack is started with: it lives
// longer than any one test, so its cleanups run in Shutdown (called by
// TestMain after every test), and a Fatal or Skip during set-up is recorded
// for every test that asks for the stack instead of ending one test.
//
// Only the methods testenv and this package call are implemented; the
// embedded nil TB makes any other call panic loudly.
type setupTB struct {
	testing.TB

	mu       sync.Mutex
	cleanups []func()
	dir      string
}

// setupEnd is what Fatal and Skip panic with, recovered by run.
type setupEnd struct {
	skip bool
	msg  string
}

func (s *setupTB) Helper()      {}
func (s *setupTB) Name() string { return "apitest-setup" }

func (s *setupTB) Cleanup(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

func (s *setupTB) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "apitest: "+format+"\n", args...)
}
func (s *setupTB) Log(args ...any) { fmt.Fprintln(os.Stderr, append([]any{"apitest:"}, args...)...) }

func (s *setupTB) Errorf(format string, args ...any) { s.Logf("error: "+format, args...) }
func (s *setupTB) Error(args ...any)                 { s.Log(append([]any{"error:"}, args...)...) }

func (s *setupTB) Fatalf(format string, args ...any) {
	panic(setupEnd{msg: fmt.Sprintf(format, args...)})
}
func (s *setupTB) Fatal(args ...any) { panic(setupEnd{msg: fmt.Sprint(args...)}) }
func (s *setupTB) FailNow()          { panic(setupEnd{msg: "set-up failed"}) }

func (s *setupTB) Skipf(format string, args ...any) {
	panic(setupEnd{skip: true, msg: fmt.Sprintf(format, args...)})
}
func (s *setupTB) Skip(args ...any) { panic(setupEnd{skip: true, msg: fmt.Sprint(args...)}) }
func (s *setupTB) SkipNow()         { panic(setupEnd{skip: true, msg: "skipped"}) }

// TempDir is one directory for the whole set-up, removed by Shutdown.
func (s *setupTB) TempDir() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "apitest-")
		if err != nil {
			panic(setupEnd{msg: err.Error()})
		}
		s.dir = dir
		s.cleanups = append(s.cleanups, func() { _ = os.RemoveAll(dir) })
	}
	return s.dir
}

// run calls f, turning a Fatal or Skip inside it into a returned result.
func (s *setupTB) run(f func()) (end *setupEnd) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(setupEnd)
			if !ok {
				panic(r)
			}
			end = &e
		}
	}()
	f()
	return nil
}

// close runs the cleanups, last registered first.
func (s *setupTB) close() {
	s.mu.Lock()
	cleanups := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
}
