# redline: build with the pinned ocb, test, run. `make help` lists targets.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := $(CURDIR)/bin
OCB := $(BIN)/ocb
MDATAGEN := $(BIN)/mdatagen
REDLINE := $(BIN)/redline
CONFIG ?= config/collector.yaml
# Every package of the root module except generated ocb sources.
PKGS := ./...
GO_SOURCES := $(shell find . -name '*.go' -not -path './_build/*' -not -path './bench/*' -not -path './test/*' 2>/dev/null)
FUZZTIME ?= 60s
# Go files we own: not ocb's generated trees (_build, bench/_work).
OWN_GO_FILES = $$(find . -name '*.go' -not -path './_build/*' -not -path '*/_work/*')

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

# ocb and mdatagen are built from internal/tools at the collector release
# pinned there (a plain `go install ...@v0.158.0` of mdatagen fails its
# deprecation look-up through this proxy).
$(OCB): internal/tools/go.mod internal/tools/go.sum
	cd internal/tools && $(GO) build -o $(OCB) go.opentelemetry.io/collector/cmd/builder

$(MDATAGEN): internal/tools/go.mod internal/tools/go.sum
	cd internal/tools && $(GO) build -o $(MDATAGEN) go.opentelemetry.io/collector/cmd/mdatagen

.PHONY: tools
tools: $(OCB) $(MDATAGEN) ## build the pinned ocb and mdatagen into ./bin

.PHONY: build
build: $(REDLINE) ## generate the distribution with ocb and compile bin/redline

$(REDLINE): $(OCB) builder-config.yaml go.mod go.sum $(GO_SOURCES)
	$(OCB) --config builder-config.yaml --skip-compilation
	cd _build && $(GO) build -trimpath -o $(REDLINE) .

.PHONY: run
run: build ## build, then run redline with config/collector.yaml (Ctrl-C stops it)
	@mkdir -p var/storage var/captures
	@echo "redline: tailing $${REDLINE_ACCESS_LOG_GLOB:-./examples/logs/*.jsonl}; health on http://$${REDLINE_HEALTH_HOST:-127.0.0.1}:$${REDLINE_HEALTH_PORT:-13133}/healthz; OTLP on 127.0.0.1:4317 (gRPC) and :4318 (HTTP)"
	exec $(REDLINE) --config $(CONFIG)

.PHONY: generate
generate: $(MDATAGEN) ## regenerate mdatagen code (metadata.yaml) and gofmt
	PATH="$(BIN):$$PATH" $(GO) generate ./...
	gofmt -w $(OWN_GO_FILES)

.PHONY: vet
vet: ## go vet every package
	$(GO) vet $(PKGS)

.PHONY: fmt
fmt: ## gofmt every Go file
	gofmt -w $(OWN_GO_FILES)

.PHONY: lint
lint: ## gofmt must be clean; golangci-lint when installed
	@out=$$(gofmt -l $(OWN_GO_FILES)); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@if command -v golangci-lint >/dev/null; then golangci-lint run ./...; else echo "golangci-lint not installed: skipped"; fi

.PHONY: unit
unit: ## go vet, then go test -race of every package (root module and bench module)
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)
	cd bench && $(GO) vet ./... && $(GO) test -race -count=1 ./...

.PHONY: smoke
smoke: build ## bin/redline components, validate every shipped config, reject a misspelt key
	scripts/smoke.sh $(REDLINE)

.PHONY: test
test: lint unit smoke ## the README's test command: lint, vet, unit tests with -race, smoke test of the binary

.PHONY: test-system
test-system: build ## the reliability suite against bin/redline (see docs/reliability.md)
	REDLINE_BIN=$(REDLINE) $(GO) test -C test/system -count=1 -timeout 60m -tags system -v ./...

.PHONY: bench
bench: ## Go benchmarks of every package (benchstat-comparable)
	$(GO) test -run '^$$' -bench . -benchmem -count=$${COUNT:-1} $(PKGS)
	cd bench && $(GO) test -run '^$$' -bench . -benchmem -count=$${COUNT:-1} ./...

.PHONY: bench-e2e
bench-e2e: ## redline vs the contrib reference collector end to end (BENCH_LINES, BENCH_RUNS, BENCH_SCENARIOS); writes bench/RESULTS.md
	cd bench && $(GO) run ./cmd/benchrun

.PHONY: bench-profile
bench-profile: ## CPU and allocation profiles of scenario D, run in-process (BENCH_LINES; PROFILE_ARGS, e.g. -profiles=false); writes bench/_work/profile/
	cd bench && $(GO) run ./cmd/profile -lines $${BENCH_LINES:-2000000} $${PROFILE_ARGS:-}

.PHONY: fuzz
fuzz: ## every fuzz target for FUZZTIME (60s) each
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

.PHONY: tidy
tidy: ## go mod tidy of the root and tools modules
	$(GO) mod tidy
	cd internal/tools && $(GO) mod tidy

.PHONY: clean
clean: ## remove build output and local state
	rm -rf bin _build var
