# Caravan: self-hosted CI that runs CircleCI configs unchanged.
# `make help` lists the targets.

GO       ?= go
BIN      := bin
CARAVAN  := $(BIN)/caravan
RUNNER   := $(BIN)/caravan-runner
CORPUS   ?= ../shared/corpus
FUZZTIME ?= 30s
ADDR     ?= 127.0.0.1:8080

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/caravan, bin/caravan-runner and bin/nomadbridge (static: the runner also runs inside job containers)
	CGO_ENABLED=0 $(GO) build -o $(CARAVAN) ./cmd/caravan
	CGO_ENABLED=0 $(GO) build -o $(RUNNER) ./runner/cmd/caravan-runner
	CGO_ENABLED=0 $(GO) build -o $(BIN)/nomadbridge ./nomadbridge/cmd/nomadbridge

.PHONY: run
run: build ## start caravan server on embedded defaults (data in .caravan/) with a demo project whose pipeline runs at once
	$(CARAVAN) server --data .caravan --addr $(ADDR) --docker-mode host --demo

.PHONY: run-local
run-local: build ## compile the sample config, then run its demo workflow with no server (caravan local execute)
	$(CARAVAN) config validate --orb-dir examples/orbs examples/config.yml
	$(CARAVAN) config process --orb-dir examples/orbs --branch main examples/config.yml
	$(CARAVAN) local execute --docker-mode host --dir .caravan/local examples/local/config.yml

.PHONY: test
test: ## run every test (vet included); builds (once, cached) and starts a Nomad dev agent for the Nomad suite
	$(GO) vet ./...
	NOMAD_ADDR=$$(scripts/nomad.sh start | sed -n 's/^NOMAD_ADDR=//p') CARAVAN_REQUIRE_NOMAD=1 \
		$(GO) test -count=1 ./...

.PHONY: nomad
nomad: ## build Nomad v1.11.3 from the module proxy (cached) and start a dev agent on 127.0.0.1:4646
	scripts/nomad.sh start

.PHONY: nomad-stop
nomad-stop: ## stop the Nomad dev agent started by make nomad / make test
	scripts/nomad.sh stop

.PHONY: run-nomad
run-nomad: build nomad ## like run, with every task run by the nomadbridge on the Nomad dev agent
	$(CARAVAN) server --data .caravan --addr $(ADDR) --demo --nomad-addr http://127.0.0.1:4646 \
		--nomad-docker-jobs host --nomad-resource-class medium=500/256

.PHONY: update-golden
update-golden: ## rewrite golden files from the current output (review the diff!)
	$(GO) test ./shared/config/... -run Golden -update
	$(GO) test ./nomadbridge/ -run Golden -update

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
bench: ## config engine, runner, server (trigger latency, jobs/s, writes and messages per job) and nomadbridge benchmarks
	$(GO) test ./shared/config/ -run '^$$' -bench 'Corpus' -benchmem -count 3
	$(GO) test ./runner/ -run '^$$' -bench . -benchtime 3x
	$(GO) test ./runner/archive/ ./runner/logstream/ -run '^$$' -bench . -benchtime 3x
	$(GO) test ./shared/server/ -run '^$$' -bench . -benchtime 1x
	$(GO) test ./shared/store/sqlitestore/ ./shared/queue/sqlitequeue/ -run '^$$' -bench .
	NOMAD_ADDR=$$(scripts/nomad.sh start | sed -n 's/^NOMAD_ADDR=//p') \
		$(GO) test ./nomadbridge/ -run '^$$' -bench . -benchtime 6x

.PHONY: clean
clean: ## remove build output
	rm -rf $(BIN)
