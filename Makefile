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

.PHONY: help build run stop test lint fmt-check vet staticcheck go-test test-servers docs

help:
	@echo "make run    start ML Studio (STORE=sqlite|mysql)"
	@echo "make test   run every check and test"
	@echo "make stop   stop local MariaDB/PostgreSQL/MLflow"
	@echo "make docs   regenerate the configuration tables in README.md"

build:
	$(GO) build -o $(BIN)/cerberus ./services/cerberus/cmd/cerberus
	$(GO) build -o $(BIN)/ml_studio ./services/ml_studio/cmd/ml_studio

run: build
	STORE=$(STORE) BIN_DIR=$(BIN) $(LOCAL)/run.sh

stop:
	$(LOCAL)/stack.sh down

# ---- checks -----------------------------------------------------------------

test: lint test-servers go-test

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
	$(GO) test -race -count=1 $(GO_PACKAGES)

docs:
	$(GO) test ./services/cerberus/internal/config ./services/ml_studio/internal/config -run TestREADMEDocumentsEveryVariable -count=1 -args -update
