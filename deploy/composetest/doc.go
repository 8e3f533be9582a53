// Package composetest is the acceptance test of docker-compose.yml on a
// real container engine (make test-compose): the images built from this
// repository, the stack started with deploy/containers/compose.sh as
// `make compose-up` does, then checked from the host. Its test needs the
// build tag composetest, so that `go test ./deploy/...` (make test-deploy)
// does not start containers.
package composetest
