# keel: one Go service on ECS Fargate. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

STAGES := dev staging prod
CDK := node_modules/.bin/cdk
# Offline and quiet: no notices, no telemetry, no Node end-of-life banner from jsii.
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export KEEL_VERSITYGW := $(CURDIR)/.tools/bin/versitygw
GO_MODULES := app infra test tools
FUZZTIME ?= 30s
CDK_OUT ?= cdk.out

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## install the pinned CDK CLI and local S3 server (cached by version)
	@scripts/install-tools all

.PHONY: synth
synth: ## synthesize every stage into cdk.out, built-in template validation on
	@scripts/install-tools cdk
	$(CDK) synth '**' --no-notices --quiet --output '$(CDK_OUT)'
	@echo "synth: one assembly per stage in $(CDK_OUT)/ ($(STAGES)); template validation report: $(CDK_OUT)/validation-report.json"

.PHONY: test
test: tools ## run every test of every module (what CI runs)
	@for m in $(GO_MODULES); do (cd $$m && go mod download); done
	go test -count=1 $(addprefix ./,$(addsuffix /...,$(GO_MODULES)))

.PHONY: diff
diff: check-stage ## cdk diff of STAGE against what is deployed (needs AWS credentials)
	@scripts/install-tools cdk
	@scripts/require-aws-credentials diff
	$(CDK) diff '$(STAGE)/*' --no-notices

.PHONY: deploy
deploy: check-stage ## deploy STAGE (needs AWS credentials for the stage's account)
	@scripts/install-tools cdk
	@scripts/require-aws-credentials deploy
	$(CDK) deploy '$(STAGE)/*' --no-notices $(DEPLOY_FLAGS)

.PHONY: dev
dev: ## run the service locally on a local S3 server with a sample vault (PORT=8080); Ctrl-C stops it
	@scripts/install-tools versitygw
	@go build -o bin/devstack ./tools/cmd/devstack
	@exec bin/devstack --port $(or $(PORT),8080)

.PHONY: fuzz
fuzz: ## run each vsync fuzz target for FUZZTIME (default 30s)
	@for f in FuzzDecodeConfig FuzzOpenEnvelope FuzzParseManifest FuzzParseVault; do \
	  (cd app && go test ./vsync -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME)); done

.PHONY: check-stage
check-stage:
	@case " $(STAGES) " in *" $(STAGE) "*) ;; *) echo "make: STAGE='$(STAGE)' is not a stage: use STAGE=dev, STAGE=staging or STAGE=prod" >&2; exit 2;; esac

.PHONY: clean
clean: ## remove build output (cdk.out, bin)
	rm -rf cdk.out bin
