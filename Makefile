# meshgate build. `make run` and `make test` are all a fresh machine with Go and a C compiler
# needs (the SQL parser is cgo).
GO      ?= go
BIN     := bin/meshgate
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/meshgate/meshgate/internal/version.Version=$(VERSION)
# Go test packages; the client suites (Python, JDBC) run from their own targets.
PKGS    ?= ./...
TESTFLAGS ?= -timeout 30m

export CGO_ENABLED := 1

.PHONY: all build run test test-go lint services bench clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/meshgate

## run: build and start a one-node gateway on the embedded demo mesh.
run: build
	./$(BIN) demo

## test: the whole test suite.
test: test-go

test-go:
	$(GO) test $(TESTFLAGS) $(PKGS)

## lint: gofmt and go vet.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## services: install (if absent) and start PostgreSQL and MariaDB for the tests.
services:
	scripts/services.sh

## bench: TPC-H through meshgate vs PostgreSQL (needs MESHGATE_TEST_PG).
bench: build
	./$(BIN) bench tpch --sf 1

clean:
	rm -rf bin .meshgate-demo
