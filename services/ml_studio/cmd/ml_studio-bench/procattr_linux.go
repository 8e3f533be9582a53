package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// procAttr puts a server in a process group of its own (stopped as one) and
// has the kernel kill it if this program dies without cleaning up.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// pinSelf moves every thread of this process to CPUs 1 and up (threads
// made later inherit it), away from the MLflow servers on CPU 0.
func pinSelf() error {
	var set unix.CPUSet
	for cpu := 1; cpu < runtime.NumCPU(); cpu++ {
		set.Set(cpu)
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil {
			return fmt.Errorf("pin thread %d: %w", tid, err)
		}
	}
	return nil
}
