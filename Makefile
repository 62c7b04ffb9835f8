SHELL := /bin/bash
# The README's two commands are `make run` and `make test`.
GO      ?= go
TAGS    := duckdb_arrow
BIN     := bin/jingyun
DATA    ?= data

.PHONY: run build test js console console-build test-short bench lint clean

build:
	$(GO) build -tags $(TAGS) -o $(BIN) ./cmd/jingyun

# The server with the demo shop (created on first run) at http://localhost:8080.
run: build
	$(BIN) serve --data $(DATA) --addr 127.0.0.1:8080 --demo

# The whole test suite: unit, store scenarios on DuckDB and on a real ClickHouse server
# (started on loopback by the tests), end-to-end crash tests on the built binary.
test: js console lint
	$(GO) test -tags $(TAGS) -count=1 -timeout 25m ./... 2>&1 | tee test-output.log; exit $${PIPESTATUS[0]}

# The JavaScript SDK: install exactly the locked packages, build dist/ (the Go end-to-end
# tests run it in Node and Chromium), type-check, unit tests and the size budget.
js:
	cd sdk/js && npm ci --no-audit --no-fund && npm test

# The console: install the locked packages (playwright-core drives Debian's chromium in the
# browser test) and fail if the committed console/dist is not what the sources build.
console:
	cd console && npm ci --no-audit --no-fund && ./scripts/check-dist.sh

# Rebuild the embedded console after changing console/src.
console-build:
	cd console && npm ci --no-audit --no-fund && npm run build

test-short:
	$(GO) test -tags $(TAGS) -short ./...

# Benchmarks write bench/RESULTS.md (long: not part of `make test`).
bench: build
	$(BIN) bench --out bench/RESULTS.md

lint:
	$(GO) vet -tags $(TAGS) ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

clean:
	rm -rf bin test-output.log
