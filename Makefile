# Caravan: self-hosted CI that runs CircleCI configs unchanged.
# `make help` lists the targets.

GO       ?= go
BIN      := bin
CARAVAN  := $(BIN)/caravan
CORPUS   ?= ../shared/corpus
FUZZTIME ?= 30s

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/caravan
	$(GO) build -o $(CARAVAN) ./cmd/caravan

.PHONY: run
run: build ## build caravan and compile the sample config (the server is not built yet)
	$(CARAVAN) config validate --orb-dir examples/orbs examples/config.yml
	$(CARAVAN) config process --orb-dir examples/orbs --branch main examples/config.yml

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

.PHONY: bench
bench: ## compile the whole corpus: configs/s, slowest config, allocations
	$(GO) test ./shared/config/ -run '^$$' -bench 'Corpus' -benchmem -count 3

.PHONY: clean
clean: ## remove build output
	rm -rf $(BIN)
