// Package replicatest runs ML Studio as replicas (make test-replicas): two
// cerberus processes on one MariaDB database and two ml_studio processes,
// each behind a round-robin proxy (the ml_studio processes reach cerberus
// through the cerberus round-robin), with clients on the ml_studio
// round-robin. Through it run ml_studio's authorization matrix and the
// stock mlflow client's two-user tests (tests/python/test_stock_client.py);
// around it, what replicas must keep: a session or token made on one
// replica works on the others, and an access change made through one is
// honoured through every other within the propagation goal. Its tests need
// the build tag replicas, so that `go test ./deploy/...` starts no server.
package replicatest
