# ML Studio — one entry point for people and CI.
#   make run    the whole stack on this machine (STORE=sqlite default, STORE=mysql)
#   make test   every check and test, starting the servers they need
#   make stop   stop the local servers (MariaDB, PostgreSQL, MLflow)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO          ?= go
STORE       ?= sqlite
BIN         := $(CURDIR)/bin
TOOLS       := $(CURDIR)/bin/tools
GO_PACKAGES := ./pkg/... ./services/cerberus/... ./services/ml_studio/...
LOCAL       := deploy/local

STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)

.PHONY: help build run stop test test-docker lint fmt-check vet staticcheck go-test test-python test-servers test-deploy docs bench bench-cerberus ui test-ui bench-ui bench-ml-studio images compose-up compose-down compose-purge test-compose test-testcontainers test-sso

help:
	@echo "make run    start ML Studio (STORE=sqlite|mysql)"
	@echo "make test   run every check and test"
	@echo "make stop   stop local MariaDB/PostgreSQL/MLflow"
	@echo "make docs   regenerate the configuration tables in README.md"
	@echo "make compose-up / compose-down   docker-compose.yml on docker or podman"
	@echo "make test-compose                the compose acceptance test (podman here)"
	@echo "make test-sso                    single sign-on against a real Keycloak"
	@echo "make test-testcontainers         integration tests on testcontainers-go (podman's API here)"

build:
	$(GO) build -o $(BIN)/cerberus ./services/cerberus/cmd/cerberus
	$(GO) build -o $(BIN)/ml_studio ./services/ml_studio/cmd/ml_studio
	$(GO) build -o $(BIN)/uiserver ./deploy/cmd/uiserver

# The web app is rebuilt only when its sources change.
UI_SOURCES := $(shell find ui/src ui/index.html ui/package.json ui/package-lock.json ui/vite.config.ts ui/tsconfig.json -type f 2>/dev/null)
ui/dist/index.html: $(UI_SOURCES)
	cd ui && npm ci --no-audit --no-fund && npm run build
	touch $@

run: build ui/dist/index.html
	STORE=$(STORE) BIN_DIR=$(BIN) $(LOCAL)/run.sh

stop:
	$(LOCAL)/stack.sh down
	$(LOCAL)/keycloak.sh stop

# ---- checks -----------------------------------------------------------------

test: lint test-servers go-test test-python test-deploy test-ui test-compose test-testcontainers test-sso test-faults test-replicas test-schemathesis

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l pkg services); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(GO_PACKAGES)

$(STATICCHECK):
	mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(TOOLS)/staticcheck $@

staticcheck: $(STATICCHECK)
	$(STATICCHECK) $(GO_PACKAGES)

# Integration servers: taken from ML_STUDIO_TEST_* when set; otherwise, with
# no Docker engine, MariaDB + PostgreSQL + MLflow-on-PostgreSQL are started
# here (with one, the tests start containers through testcontainers-go).
test-servers:
	$(LOCAL)/mlflow.sh install # the pinned client, whose route table tests compare against
	$(LOCAL)/mariadb.sh client # mariadb-dump, for cerberus backup's round trip on MariaDB
	@if [ -n "$${ML_STUDIO_TEST_MYSQL_DSN:-}" ] && [ -n "$${ML_STUDIO_TEST_MLFLOW_URL:-}" ]; then \
		echo "integration servers from the environment"; \
	elif docker info >/dev/null 2>&1; then \
		echo "Docker engine found: tests start their servers with testcontainers-go"; \
	else \
		STORE=mysql $(LOCAL)/stack.sh up; \
	fi

# The env lines are applied only when the variables are unset and Docker is
# absent, mirroring test-servers.
go-test:
	@if [ -z "$${ML_STUDIO_TEST_MYSQL_DSN:-}" ] && ! docker info >/dev/null 2>&1; then \
		eval "$$($(LOCAL)/stack.sh env)"; fi; \
	if [ -n "$${ML_STUDIO_TEST_MYSQL_DSN:-}" ]; then \
		echo "go-test: integration servers from ML_STUDIO_TEST_* (MySQL $${ML_STUDIO_TEST_MYSQL_DSN##*@}, MLflow $${ML_STUDIO_TEST_MLFLOW_URL:-?}); make test-testcontainers runs the container path"; \
	else echo "go-test: integration servers from testcontainers-go (a Docker engine answers)"; fi; \
	$(GO) test -race -count=1 $(GO_PACKAGES)

# The stock mlflow client and the example notebooks (tests/python/) against
# cerberus + ml_studio built from this tree, in the pinned venv .venv/pytest;
# MLflow from ML_STUDIO_TEST_MLFLOW_URL, else the local one (test-servers),
# started on PostgreSQL when it is not running.
test-python:
	GO=$(GO) $(LOCAL)/pytest-env.sh run

# With a Docker engine: the same Go integration suites against MySQL 8 and
# PostgreSQL (+ MLflow built from deploy/docker/mlflow.Dockerfile) containers
# started by testcontainers-go, instead of local servers.
test-docker:
	@docker info >/dev/null 2>&1 || { echo "make test-docker needs a running Docker engine" >&2; exit 1; }
	$(LOCAL)/mlflow.sh install
	env -u ML_STUDIO_TEST_MYSQL_DSN -u ML_STUDIO_TEST_POSTGRES_DSN -u ML_STUDIO_TEST_MLFLOW_URL \
		$(GO) test -race -count=1 $(GO_PACKAGES)

docs:
	$(GO) test ./services/cerberus/internal/config ./services/ml_studio/internal/config -run TestREADMEDocumentsEveryVariable -count=1 -args -update
	$(GO) test ./services/ml_studio/internal/access -run TestREADMEListsRefusals -count=1 -args -update
	$(GO) test ./pkg/catalogue -run TestUICatalogue -count=1 -args -update

# Faults under load (deploy/faulttest): cerberus stopped and started, MLflow
# stopped and started, MariaDB killed under writes, SIGTERM to cerberus and to
# ml_studio, each with clients calling and what they saw checked. Its own
# MariaDB, MLflow, cerberus and ml_studio, on ports and data folders of their
# own: the shared servers are never touched. 3-5 minutes.
.PHONY: test-faults
test-faults: $(STATICCHECK)
	$(LOCAL)/mlflow.sh install
	$(GO) vet -tags faults ./deploy/faulttest
	$(STATICCHECK) -tags faults ./deploy/faulttest
	$(GO) test -tags faults -count=1 -timeout 10m -v ./deploy/faulttest/

# Generated bad input (deploy/schemathesis): Schemathesis (PyPI, its own
# venv .venv/schemathesis) over cerberus's and ml_studio's OpenAPI documents
# as served by a cerberus and an ml_studio built from this tree (free ports,
# a database of their own on the shared MariaDB, the shared MLflow): every
# operation, its stateful links, an admin and a plain user on each service,
# the four runs side by side. Fails on a 5xx, an answer the document does
# not describe, one slower than 10 s or a hang. -examples cases per
# operation and phase; a fixed amount of work, not of time.
SCHEMATHESIS_FLAGS ?= -examples 5
.PHONY: test-schemathesis
test-schemathesis: test-servers $(STATICCHECK)
	$(LOCAL)/schemathesis.sh install
	$(GO) vet -tags schemathesis ./deploy/schemathesis
	$(STATICCHECK) -tags schemathesis ./deploy/schemathesis
	@if [ -z "$${ML_STUDIO_TEST_MYSQL_DSN:-}" ] && ! docker info >/dev/null 2>&1; then \
		eval "$$($(LOCAL)/stack.sh env)"; fi; \
	$(GO) test -tags schemathesis -count=1 -timeout 15m -v ./deploy/schemathesis/ -args $(SCHEMATHESIS_FLAGS)

# The longer hunt: schemathesis with a fresh seed, more cases and -max-time
# seconds of fuzzing and link walking per run, then every Go fuzz target
# (func Fuzz* in pkg/ and services/) for FUZZ_TIME each; a crash leaves its
# input under the package's testdata/fuzz/ (commit it with the fix). About
# 40 minutes with the defaults.
FUZZ_TIME ?= 2m
FUZZ_SCHEMATHESIS_FLAGS ?= -max-time 300 -examples 50 -seed 0 -workers 2
.PHONY: fuzz
fuzz:
	@failed=""; \
	$(MAKE) test-schemathesis SCHEMATHESIS_FLAGS="$(FUZZ_SCHEMATHESIS_FLAGS)" || failed="$$failed schemathesis"; \
	while IFS=: read -r file fn; do \
		name=$${fn#func }; dir=./$$(dirname "$$file"); \
		echo "== $$name ($$dir, $(FUZZ_TIME))"; \
		GIN_MODE=release $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZ_TIME) "$$dir" || failed="$$failed $$name"; \
	done < <(grep -rHo '^func Fuzz[A-Za-z0-9_]*' --include='*_test.go' pkg services | sort); \
	if [ -n "$$failed" ]; then echo "make fuzz: found something in:$$failed" >&2; exit 1; fi

# Replicas (deploy/replicatest): two cerberus on one MariaDB database and
# two ml_studio, each pair behind a round-robin proxy; through them the
# authorization matrix (ml_studio's Go suite) and the stock mlflow client's
# two-user tests (tests/python/test_stock_client.py), sessions and tokens
# used across replicas, and grants and revocations honoured through every
# replica within a second, and what a client creates through one replica it
# uses at once through the other. MariaDB and MLflow as go-test takes them
# (a fresh database of its own). 3 minutes here at load 14-21.
.PHONY: test-replicas
test-replicas: test-servers $(STATICCHECK)
	$(GO) vet -tags replicas ./deploy/replicatest
	$(STATICCHECK) -tags replicas ./deploy/replicatest
	GO=$(GO) $(LOCAL)/pytest-env.sh install
	@if [ -z "$${ML_STUDIO_TEST_MYSQL_DSN:-}" ] && ! docker info >/dev/null 2>&1; then \
		eval "$$($(LOCAL)/stack.sh env)"; fi; \
	$(GO) test -tags replicas -count=1 -timeout 10m -v ./deploy/replicatest/

# ---- deployment files --------------------------------------------------------

# docker-compose.yml, deploy/docker/, deploy/helm/ml-studio and deploy/nginx/,
# checked without a container engine or a cluster by the deploy module
# (deploy/validate): compose-go's loader, BuildKit's Dockerfile parser, the Go
# images' build steps run for real, helm lint + helm template (for each
# values file under the chart's ci/) decoded strictly into the Kubernetes API
# types and checked by kubeconform -strict against Kubernetes 1.25 and 1.37,
# the NetworkPolicies evaluated pod to pod, nginx -t and live nginx runs, MLflow started
# with the image's settings (its pinned virtualenv).
HELM_VERSION := v3.22.0
HELM         := $(TOOLS)/helm-$(HELM_VERSION)
NGINX_BIN    := $(TOOLS)/nginx/usr/sbin/nginx
# What helm's own release build stamps in: its version, and the Kubernetes
# version of its k8s.io modules (v0.37 -> 1.37) as the default for templates.
HELM_LDFLAGS := -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
	$(foreach p,chartutil lint/rules,-X helm.sh/helm/v3/pkg/$(p).k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/$(p).k8sVersionMinor=37)

$(HELM):
	mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install -ldflags '$(HELM_LDFLAGS)' helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	mv $(TOOLS)/helm $@

# Debian's nginx binary, unpacked rather than installed (no service starts).
$(NGINX_BIN):
	rm -rf $(TOOLS)/nginx $(TOOLS)/nginx-deb && mkdir -p $(TOOLS)/nginx-deb && chmod 0777 $(TOOLS)/nginx-deb
	cd $(TOOLS)/nginx-deb && { apt-get download nginx || { apt-get update -qq && apt-get download nginx; }; }
	dpkg -x $(TOOLS)/nginx-deb/nginx_*.deb $(TOOLS)/nginx && rm -rf $(TOOLS)/nginx-deb

# kubeconform's schemas for every Kubernetes version from 1.25 (the PyPI
# package kubernetes-validate ships them; only its data is used, by
# deploy/validate's kubeconform test, nothing is fetched at test time).
KUBE_VALIDATE_VERSION := 1.37.0
KUBE_VALIDATE_DIR     := $(TOOLS)/kubernetes-validate-$(KUBE_VALIDATE_VERSION)
KUBE_SCHEMAS          := $(KUBE_VALIDATE_DIR)/kubernetes_validate/kubernetes-json-schema

$(KUBE_SCHEMAS):
	rm -rf $(KUBE_VALIDATE_DIR) $(KUBE_VALIDATE_DIR).tmp
	python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --no-deps --target $(KUBE_VALIDATE_DIR).tmp kubernetes-validate==$(KUBE_VALIDATE_VERSION)
	mv $(KUBE_VALIDATE_DIR).tmp $(KUBE_VALIDATE_DIR)

test-deploy: $(HELM) $(NGINX_BIN) $(STATICCHECK) $(KUBE_SCHEMAS)
	@out=$$(gofmt -l deploy); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./deploy/...
	$(STATICCHECK) ./deploy/...
	$(LOCAL)/mlflow.sh install
	HELM=$(HELM) NGINX_BIN=$(NGINX_BIN) KUBE_SCHEMAS=$(KUBE_SCHEMAS) $(GO) test -count=1 ./deploy/...

# ---- benchmark ----------------------------------------------------------------

# Cerberus's decisions at 1,000 users, 50,000 elements and 200,000 grants, on
# SQLite and MariaDB side by side (docs/benchmarks.md). MariaDB is taken from
# ML_STUDIO_TEST_MYSQL_DSN when set; otherwise the local one is started with
# deploy/local/mariadb.sh, the part of `STORE=mysql stack.sh up` the benchmark
# needs (PostgreSQL and MLflow would only compete for the CPUs).
#   make bench BENCH_BACKEND=sqlite    SQLite only, no MariaDB
#   make bench BENCH_FLAGS=-quick      a small smoke run
BENCH_BACKEND ?= both
BENCH_FLAGS   ?=

bench: bench-cerberus bench-ml-studio bench-propagation bench-ui

bench-cerberus:
	$(GO) build -o $(BIN)/cerberus-bench ./services/cerberus/cmd/cerberus-bench
	@if [ "$(BENCH_BACKEND)" != sqlite ] && [ -z "$${ML_STUDIO_TEST_MYSQL_DSN:-}" ]; then \
		$(LOCAL)/mariadb.sh start >&2; \
		eval "$$($(LOCAL)/stack.sh env)"; \
	fi; \
	$(BIN)/cerberus-bench -backend $(BENCH_BACKEND) $(BENCH_FLAGS)
	# A request with a Keycloak JWT against one with an mlt_ token and
	# /healthz (deploy/local/keycloak.sh starts Keycloak, or reuses it).
	$(LOCAL)/keycloak.sh start >&2
	eval "$$($(LOCAL)/keycloak.sh env)"; \
	if [ "$(BENCH_BACKEND)" != sqlite ] && [ -z "$${ML_STUDIO_TEST_MYSQL_DSN:-}" ]; then eval "$$($(LOCAL)/stack.sh env)"; fi; \
	$(BIN)/cerberus-bench -provider-tokens -backend $(BENCH_BACKEND) $(BENCH_FLAGS)

# ml_studio's overhead in front of MLflow: MLflow direct, through ml_studio +
# cerberus (built from this tree) and MLflow's own basic-auth app, side by
# side on servers the benchmark starts and stops itself (docs/benchmarks.md).
#   make bench-ml-studio BENCH_ML_STUDIO_FLAGS=-quick   a short smoke run
BENCH_ML_STUDIO_FLAGS ?=

bench-ml-studio:
	$(LOCAL)/mlflow.sh install >&2
	$(GO) build -o $(BIN)/ml_studio-bench ./services/ml_studio/cmd/ml_studio-bench
	$(BIN)/ml_studio-bench $(BENCH_ML_STUDIO_FLAGS)

# How soon a grant or a revocation is honoured (docs/benchmarks.md): two
# cerberus on one private MariaDB, each behind its own ml_studio, on a private
# MLflow, all on ports and data folders of their own; 100 changes of each kind.
#   make bench-propagation BENCH_PROPAGATION_FLAGS="-changes 20"
BENCH_PROPAGATION_FLAGS ?=

.PHONY: bench-propagation
bench-propagation:
	$(LOCAL)/mlflow.sh install >&2
	$(GO) build -o $(BIN)/propagation-bench ./deploy/cmd/propagation-bench
	$(BIN)/propagation-bench $(BENCH_PROPAGATION_FLAGS)

# A soak (docs/benchmarks.md, "Soak"; deploy/cmd/soak): one cerberus (on a
# private MariaDB) and one ml_studio built from the tree, under 64
# stock-client-shaped clients for 10 minutes while an admin gives and takes
# their read grants on each other's experiments. Prints, and writes to
# .data/soak/report.md, errors by kind, p50/p99 per minute and the
# services' RSS, Go heap, goroutines and open fds per minute with their
# slopes; exits 1 when a request failed. MLflow: ML_STUDIO_TEST_MLFLOW_URL,
# else the local one on PostgreSQL (started when it is not running).
#   make soak SOAK_FLAGS="-duration 1m"     a short run
SOAK_FLAGS ?=

.PHONY: soak
soak:
	$(LOCAL)/mlflow.sh install >&2
	$(GO) build -o $(BIN)/soak ./deploy/cmd/soak
	@url="$${ML_STUDIO_TEST_MLFLOW_URL:-}"; \
	if [ -z "$$url" ]; then MLFLOW_BACKEND=postgres $(LOCAL)/mlflow.sh start >&2; url="http://127.0.0.1:$${MLFLOW_PORT:-5050}"; fi; \
	$(BIN)/soak -mlflow "$$url" -report .data/soak/report.md $(SOAK_FLAGS)

# ---- web UI (ui/) -------------------------------------------------------------

# The production build of the UI in ui/dist (Vite + React + TypeScript).
ui:
	cd ui && npm ci --no-audit --no-fund && npm run build

# Typecheck, component tests, build, then the browser tests against the real
# stack (ui/e2e/stack.mjs builds cerberus + ml_studio, serves ui/dist with
# vite preview) in Debian's chromium. MLflow from ML_STUDIO_TEST_MLFLOW_URL,
# else the local one, started on SQLite when nothing answers on :5050.
test-ui:
	ui/scripts/ensure-chromium.sh
	cd ui && npm ci --no-audit --no-fund
	cd ui && npx tsc --noEmit -p tsconfig.json && npx tsc --noEmit -p tsconfig.e2e.json
	cd ui && npx vitest run
	cd ui && npm run build
	@if [ -z "$${ML_STUDIO_TEST_MLFLOW_URL:-}" ] && ! curl -sf -m 3 http://127.0.0.1:5050/health >/dev/null; then \
		$(LOCAL)/stack.sh up; fi
	cd ui && node e2e/run.mjs

# Initial JS of the production build (gzip, goal <= 150 KB) and, in headless
# chromium, the first render of a 10,000-run table (goal <= 0.5 s) and of a
# 1,000-run sweep in parallel coordinates (goal <= 1 s), each with where its
# time went (issue #18). Time it under flock /tmp/ml-studio-bench.lock.
bench-ui:
	ui/scripts/ensure-chromium.sh
	cd ui && npm ci --no-audit --no-fund && npm run build
	cd ui && node scripts/bench.mjs

# ---- containers (docker-compose.yml on a real engine) --------------------------

# The images of deploy/docker (and, without a Docker engine, the local
# stand-ins of their upstream bases plus MariaDB/PostgreSQL from Debian
# packages), built with docker where an engine answers, else with podman
# (installed by the script); see README "Containers without Docker".
images:
	deploy/containers/images.sh all

# docker-compose.yml with .env (made from .env.example when missing): build
# what is missing, start, wait until healthy, print the URLs; the first
# admin's password is in .data/compose/admin-password. down keeps the volumes.
compose-up:
	deploy/containers/compose.sh up

compose-down:
	deploy/containers/compose.sh down

# down, and delete the named volumes (all data of the stack).
compose-purge:
	deploy/containers/compose.sh purge

# The acceptance test of the composed stack (deploy/composetest), on its own
# project, ports (:13000, :15000, :15001, ...) and subnet: health, the UI's
# own container, the stock client and two users through ml_studio, secrets
# from .env, data kept across down + up, nothing left after down -v. It
# fails, never skips, when it cannot run. Part of make test: 10-14 min cold
# (images built from scratch), under 4 min with the image caches warm.
test-compose:
	$(LOCAL)/pytest-env.sh install
	$(GO) test -tags composetest -count=1 -timeout 60m -v ./deploy/composetest/

# Single sign-on end to end against a real Keycloak: deploy/local/keycloak.sh
# installs it from Maven Central (first time ~25 s) and starts it on :8180
# with deploy/keycloak/'s realm (90-200 s on this 2-core machine, by load),
# or reuses the one running; it stays up for the next run (make stop stops
# it). The tests fail, never skip, without it.
test-sso:
	$(LOCAL)/keycloak.sh start
	eval "$$($(LOCAL)/keycloak.sh env)" && \
		$(GO) vet -tags sso ./services/cerberus/internal/api ./services/ml_studio/internal/api && \
		$(GO) test -tags sso -count=1 -timeout 10m -v -run '^TestKeycloak' ./services/cerberus/internal/api
	# Through ml_studio (cerberus with Keycloak's client and SCIM, MariaDB and
	# MLflow as go-test finds them): the authorization matrix with callers
	# Keycloak authenticates, and SCIM deprovisioning revokes access.
	eval "$$($(LOCAL)/keycloak.sh env)" && \
	if [ -z "$${ML_STUDIO_TEST_MYSQL_DSN:-}" ] && ! docker info >/dev/null 2>&1; then \
		eval "$$($(LOCAL)/stack.sh env)"; fi; \
	ML_STUDIO_TEST_OIDC_CLIENT_ID=ml-studio ML_STUDIO_TEST_OIDC_CLIENT_SECRET=ml-studio-dev-secret \
		$(GO) test -tags sso -count=1 -timeout 10m -v -run '^TestKeycloak' ./services/ml_studio/internal/api
	# The stock mlflow client with a client-credentials token (tests/python/test_sso.py).
	eval "$$($(LOCAL)/keycloak.sh env)" && \
	ML_STUDIO_TEST_OIDC_CLIENT_ID=ml-studio ML_STUDIO_TEST_OIDC_CLIENT_SECRET=ml-studio-dev-secret \
		GO=$(GO) $(LOCAL)/pytest-env.sh run -m sso test_sso.py
	# Chromium signs in through Keycloak's own login page and out again
	# (ui/e2e/keycloak.sso.ts; the default e2e run has no Keycloak).
	ui/scripts/ensure-chromium.sh
	[ -x ui/node_modules/.bin/vitest ] || (cd ui && npm ci --no-audit --no-fund)
	@if [ -z "$${ML_STUDIO_TEST_MLFLOW_URL:-}" ] && ! curl -sf -m 3 http://127.0.0.1:5050/health >/dev/null; then \
		$(LOCAL)/stack.sh up; fi
	eval "$$($(LOCAL)/keycloak.sh env)" && cd ui && E2E_SSO=1 node e2e/run.mjs

# pkg/testenv's testcontainers-go path for real: the cerberus store suite on
# MariaDB and ml_studio's authorization matrix (cerberus on MariaDB, MLflow on
# PostgreSQL), their servers in containers that testcontainers-go starts
# through the Docker API (Docker's, or podman's, which
# deploy/containers/testcontainers.sh starts on .data/containers/podman.sock
# and stops again if it started it), from the images built here (no
# registry). The tests remove their containers (testenv.Main) and the script
# fails if any is left. Every test's log (-v) says which path it used; this
# target fails if one used anything but testcontainers-go.
TC_LOG := .data/containers/test-testcontainers.log
test-testcontainers:
	@mkdir -p .data/containers
	deploy/containers/testcontainers.sh run \
		env -u ML_STUDIO_TEST_MYSQL_DSN -u ML_STUDIO_TEST_POSTGRES_DSN -u ML_STUDIO_TEST_MLFLOW_URL \
		$(GO) test -count=1 -v -timeout 20m \
			-run '^(TestSuite|TestSchemasMatchAcrossBackends|TestAuthorizationMatrix)$$' -skip '^TestSuite$$/^sqlite$$' \
			./services/cerberus/internal/store ./services/ml_studio/internal/api 2>&1 | tee $(TC_LOG)
	@if grep -q 'started outside the test' $(TC_LOG); then \
		echo "test-testcontainers: a test took a server from the environment" >&2; exit 1; fi
	@for s in MySQL MLflow; do \
		n=$$(grep -c "testenv: $$s from testcontainers-go" $(TC_LOG) || true); \
		[ "$$n" -gt 0 ] || { echo "test-testcontainers: no test reached $$s through testcontainers-go" >&2; exit 1; }; \
		echo "test-testcontainers: $$s from testcontainers-go in $$n test log lines"; done

