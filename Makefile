# identityd — build, run, test.
GO      ?= go
# The Go release the project builds with (and go.mod's go line names). The go
# command fetches it through the module proxy the first time (like a module,
# into the module cache) whatever Go runs make; this assignment wins over a
# GOTOOLCHAIN in the environment or in go env (e.g. local), so every target,
# and every go command a test or benchmark starts, runs on it. Outside make:
# export GOTOOLCHAIN=go1.27.3 (see the README).
export GOTOOLCHAIN := go1.27.3
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: run build test test-short lint vulncheck fuzz bench bench-go bench-scale cover

## run: start the server (in memory unless DATABASE_URL / REDIS_URL are set)
run:
	@echo "building identityd (the first build downloads the modules: a minute or two)..."
	@$(GO) build -o bin/identityd ./cmd/identityd
	./bin/identityd

## build: build bin/identityd
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/identityd ./cmd/identityd

## test: every test with the race detector, then the HTTP suites again on
## PostgreSQL + Redis (they skip with a message when TEST_DATABASE_URL and
## TEST_REDIS_URL are not set, and fail then under REQUIRE_SERVICES=1).
## The last line names the tests that skipped and why.
## TEST_TIMEOUT is go test's limit per package binary: test/integration runs
## about five minutes on a quiet 2-core machine and nearly ten on a busy one
TEST_TIMEOUT ?= 25m
test:
	@{ $(GO) test -json -race -count=1 -timeout $(TEST_TIMEOUT) ./...; \
	   TEST_BACKEND=postgres $(GO) test -json -race -count=1 -timeout $(TEST_TIMEOUT) ./test/...; } | $(GO) run ./test/skipreport

## browser: install Debian's chromium for the headless-browser end-to-end
## test (it skips without it, and fails then under REQUIRE_SERVICES=1)
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || \
	  { echo "installing chromium (apt-get)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## test-short: the tests without the race detector
test-short:
	$(GO) test -count=1 ./...

## lint: formatting, vet, staticcheck, actionlint and govulncheck (pinned in tools/go.mod)
lint:
	@out=$$($$($(GO) env GOROOT)/bin/gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool -modfile=tools/go.mod staticcheck ./...
	$(GO) tool -modfile=tools/go.mod actionlint
	$(MAKE) --no-print-directory vulncheck

## vulncheck: govulncheck against the Go vulnerability database as shipped in
## the module golang.org/x/vulndb (fetched through the Go module proxy, so it
## works offline from vuln.go.dev); fails on a called vulnerability in a
## required module or in the standard library of GOTOOLCHAIN (raise GOTOOLCHAIN
## and go.mod's go line to the Go release named)
VULNDB ?= v0.0.0-20261105234957-e22db6528018
vulncheck:
	@$(GO) mod download golang.org/x/vulndb@$(VULNDB)
	@out=$$(mktemp); trap 'rm -f "$$out"' EXIT; \
	echo "govulncheck -db golang.org/x/vulndb@$(VULNDB) ./..."; \
	$(GO) tool -modfile=tools/go.mod govulncheck -db file://$$($(GO) env GOMODCACHE)/golang.org/x/vulndb@$(VULNDB)/data/osv -format json ./... > "$$out" && \
	(cd tools && $(GO) run ./vulncheck) < "$$out"

## fuzz: each fuzz target for FUZZTIME (seeds in testdata/fuzz); a failure
## leaves the input in testdata/fuzz for a regression test. FUZZTIME is a
## count of inputs (Nx), so each run does the same work however loaded the
## machine is (a duration works too since Go 1.27.3, which fixed the "context
## deadline exceeded" failure of a timed run, go.dev/issue/75804).
FUZZTIME ?= 60000x
FUZZ_TARGETS := ./core:FuzzParseScope ./core:FuzzRedirectURI ./core:FuzzPKCE ./adapters/jwt:FuzzVerify \
	./adapters/http:FuzzReadParams ./adapters/http:FuzzDecodeJSON ./adapters/http:FuzzCheckJSONText \
	./adapters/http:FuzzAuthorizationHeader ./adapters/http:FuzzSessionCookies
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== fuzz $$name ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; done

## bench: load benchmark of the real binary under wrk; writes bench/results/latest.md
##        (settings: BENCH_DURATION, BENCH_CONNECTIONS, BENCH_DATABASE_URL, BENCH_REDIS_URL, ... see bench/cmd/bench)
bench:
	@command -v wrk >/dev/null 2>&1 || { echo "make bench needs wrk, the HTTP load generator: apt-get update && apt-get install -y wrk"; exit 1; }
	$(GO) run ./bench/cmd/bench

## bench-scale: PostgreSQL at scale (needs BENCH_DATABASE_URL and BENCH_REDIS_URL; not part of CI):
##        COPY 10^6 access tokens, 10^5 clients and users into a fresh database, latency against the
##        empty store, EXPLAIN of the hot queries, the janitor under load; writes bench/results/scale-latest.md
bench-scale:
	@command -v wrk >/dev/null 2>&1 || { echo "make bench-scale needs wrk, the HTTP load generator: apt-get update && apt-get install -y wrk"; exit 1; }
	$(GO) run ./bench/cmd/bench -scale

## bench-go: Go micro-benchmarks of the hot paths (JWT, secrets, scopes, whole handlers)
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## cover: statement coverage of core/, grants/ and the adapters over the
## whole suite (PostgreSQL and Redis included when configured); fails under
## COVER_MIN percent
COVER_MIN ?= 80
COVER_PKGS := ./core/...,./grants/...,./adapters/...
cover:
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -coverpkg=$(COVER_PKGS) -coverprofile=coverage.out ./...
	TEST_BACKEND=postgres $(GO) test -count=1 -timeout $(TEST_TIMEOUT) -coverpkg=$(COVER_PKGS) -coverprofile=coverage-postgres.out ./test/...
	@tail -n +2 coverage-postgres.out >> coverage.out
	@$(GO) tool cover -func=coverage.out | awk -v min=$(COVER_MIN) '/^total:/ { sub("%", "", $$3); printf "statement coverage of core/, grants/ and adapters/: %s%% (minimum %s%%)\n", $$3, min; if ($$3 + 0 < min) exit 1 }'
