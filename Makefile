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

.PHONY: all build run test test-go test-python test-jdbc lint services bench clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/meshgate

## run: build and start a one-node gateway on the embedded demo mesh.
run: build
	./$(BIN) demo

## test: the whole test suite: Go, then the Python and JDBC client suites against a demo node.
test: test-go test-python test-jdbc

test-go:
	$(GO) test $(TESTFLAGS) $(PKGS)

## test-python: pytest with the pinned ADBC/pyarrow/pandas/polars stack in clients/python/.venv.
## Skips with the reason when python3 (3.11+) or venv support is missing, unless
## MESHGATE_REQUIRE_SERVICES=1. PYTEST_ARGS are passed to pytest.
test-python: build
	MESHGATE_BIN=$(abspath $(BIN)) clients/python/run.sh -q $(PYTEST_ARGS)

## test-jdbc: the Maven suite once per Flight SQL JDBC driver (JDBC_DRIVERS, pom.xml profiles).
## Skips with the reason when Java, Maven or a driver is unavailable, unless
## MESHGATE_REQUIRE_SERVICES=1.
JDBC_DRIVERS ?= 18.3 19.0
test-jdbc: build
	MESHGATE_BIN=$(abspath $(BIN)) JDBC_DRIVERS="$(JDBC_DRIVERS)" clients/jdbc-tests/run.sh

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
	rm -rf bin .meshgate-demo clients/python/.venv clients/jdbc-tests/target
