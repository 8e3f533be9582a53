// Package faulttest stops, kills and restarts the stack's servers while
// clients keep calling it, and checks what those clients saw (make
// test-faults): cerberus stopped and started, MLflow stopped and started,
// MariaDB killed under write load, SIGTERM to cerberus and to ml_studio.
// Every server is a private process on a port and data folder of its own
// (package servers): the shared servers on the standard ports are never
// touched. Its tests need the build tag faults, so that `go test
// ./deploy/...` (make test-deploy) does not start servers.
package faulttest
