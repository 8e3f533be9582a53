//go:build !linux

package main

import "syscall"

// procAttr puts a server in a process group of its own (stopped as one).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
