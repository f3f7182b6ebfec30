# Caravan: self-hosted CI that runs CircleCI configs unchanged.
# `make help` lists the targets.

GO       ?= go
BIN      := bin
CARAVAN  := $(BIN)/caravan
RUNNER   := $(BIN)/caravan-runner
CORPUS   ?= ../shared/corpus
FUZZTIME ?= 30s

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/caravan and bin/caravan-runner (static: the runner also runs inside job containers)
	CGO_ENABLED=0 $(GO) build -o $(CARAVAN) ./cmd/caravan
	CGO_ENABLED=0 $(GO) build -o $(RUNNER) ./runner/cmd/caravan-runner

.PHONY: run
run: build ## compile the sample config, then run the demo workflow locally (caravan local execute)
	$(CARAVAN) config validate --orb-dir examples/orbs examples/config.yml
	$(CARAVAN) config process --orb-dir examples/orbs --branch main examples/config.yml
	$(CARAVAN) local execute --docker-mode host --dir .caravan/local examples/local/config.yml

.PHONY: test
test: ## run every test (vet included)
	$(GO) vet ./...
	$(GO) test -count=1 ./...

.PHONY: update-golden
update-golden: ## rewrite golden files from the current output (review the diff!)
	$(GO) test ./shared/config/... -run Golden -update

.PHONY: fuzz
fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	$(GO) test ./shared/config/ -run '^$$' -fuzz '^FuzzCompile$$' -fuzztime $(FUZZTIME)
	$(GO) test ./shared/config/yamltree/ -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./shared/config/expr/ -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./shared/config/pack/ -run '^$$' -fuzz '^FuzzOrb$$' -fuzztime $(FUZZTIME)
	$(GO) test ./runner/archive/ -run '^$$' -fuzz '^FuzzUnpack$$' -fuzztime $(FUZZTIME)
	$(GO) test ./runner/logstream/ -run '^$$' -fuzz '^FuzzMask$$' -fuzztime $(FUZZTIME)
	$(GO) test ./shared/junit/ -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)

.PHONY: bench
bench: ## config engine (configs/s) and runner (output MB/s, step overhead, cache MB/s) benchmarks
	$(GO) test ./shared/config/ -run '^$$' -bench 'Corpus' -benchmem -count 3
	$(GO) test ./runner/ -run '^$$' -bench . -benchtime 3x
	$(GO) test ./runner/archive/ ./runner/logstream/ -run '^$$' -bench . -benchtime 3x

.PHONY: clean
clean: ## remove build output
	rm -rf $(BIN)
