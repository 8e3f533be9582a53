package apitest

import "syscall"

// dieWithParent has the kernel kill cerberus if the test binary dies
// without cleaning up (a test timeout's panic, a kill -9).
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
