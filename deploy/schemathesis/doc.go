// Package schemathesis runs Schemathesis (PyPI, .venv/schemathesis from
// deploy/local/schemathesis.sh) over cerberus's and ml_studio's OpenAPI
// documents, as served by a cerberus and an ml_studio built from this tree
// on free ports, on a database of their own on the shared MariaDB and the
// shared MLflow: every operation, generated valid and invalid input, and
// the stateful links the documents declare, once as an admin and once as
// a plain user (hooks.py signs them in). A run fails on any 5xx, any answer
// the document does not describe (status, content type, headers, body) and
// any answer slower than the limit (make test-schemathesis: a bounded
// budget; make fuzz: a larger one). Its tests need the build tag
// schemathesis, so that `go test ./deploy/...` (make test-deploy) does not
// start servers.
package schemathesis
