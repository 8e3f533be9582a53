package main

import "syscall"

// procAttr puts a server in a process group of its own (stopped as one) and
// has the kernel kill it if this program dies without cleaning up.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
