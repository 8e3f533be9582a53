//go:build !linux

package main

import (
	"errors"
	"syscall"
)

// procAttr puts a server in a process group of its own (stopped as one).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// pinSelf is not available here: -pin needs Linux.
func pinSelf() error { return errors.New("-pin needs Linux (taskset, sched_setaffinity)") }
