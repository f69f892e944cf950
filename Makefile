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
# CDK_APP=cdk.out makes diff and deploy use an assembly synthesized before (CI synthesizes once).
CDK_APP ?=
cdk_app = $(if $(CDK_APP),--app '$(CDK_APP)')

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## install the pinned CDK CLI, local S3 server and linters (cached by version)
	@scripts/install-tools all

.PHONY: tools-cdk
tools-cdk: ## install only the pinned CDK CLI (node_modules from package-lock.json)
	@scripts/install-tools cdk

.PHONY: synth
synth: ## synthesize every stage into cdk.out, built-in template validation on
	@scripts/install-tools cdk
	$(CDK) synth '**' --no-notices --quiet --output '$(CDK_OUT)'
	@echo "synth: one assembly per stage in $(CDK_OUT)/ ($(STAGES)); template validation report: $(CDK_OUT)/validation-report.json"

.PHONY: test
test: tools ## run every test of every module, then the lint checks (what CI runs)
	@for m in $(GO_MODULES); do (cd $$m && go mod download); done
	go test -count=1 $(addprefix ./,$(addsuffix /...,$(GO_MODULES)))
	scripts/lint

.PHONY: lint
lint: ## gofmt, go vet, golangci-lint, actionlint with shellcheck, cdk.json offline settings
	@scripts/install-tools lint
	scripts/lint

.PHONY: diff
diff: check-stage ## cdk diff of STAGE against what is deployed (needs AWS credentials)
	@scripts/install-tools cdk
	@scripts/require-aws-credentials diff
	$(CDK) diff $(cdk_app) '$(STAGE)/*' --no-notices

.PHONY: deploy
deploy: check-stage ## deploy STAGE's service stack (needs AWS credentials for the stage's account)
	@scripts/install-tools cdk
	@scripts/require-aws-credentials deploy
	$(CDK) deploy $(cdk_app) '$(STAGE)/Service' --no-notices $(DEPLOY_FLAGS)

.PHONY: deploy-roles
deploy-roles: check-stage ## deploy STAGE's GitHub Actions roles (an administrator, once per stage)
	@scripts/install-tools cdk
	@scripts/require-aws-credentials deploy-roles
	$(CDK) deploy $(cdk_app) '$(STAGE)/GitHub' --no-notices $(DEPLOY_FLAGS)

.PHONY: dev
dev: ## run the service locally on a local S3 server with a sample vault (PORT=8080); Ctrl-C stops it
	@scripts/install-tools versitygw
	@go build -o bin/devstack ./tools/cmd/devstack
	@exec bin/devstack --port $(or $(PORT),8080)

.PHONY: ci-diff
ci-diff: check-stage ## append STAGE's guard verdict and cdk diff (of CDK_APP or cdk.out) to diff-comment.md
	@scripts/install-tools cdk
	@scripts/require-aws-credentials ci-diff
	scripts/ci-diff $(STAGE)

.PHONY: ci-guard
ci-guard: ## fail when diff-comment.md marks a replaced or destroyed stateful resource (unless ALLOW_REPLACEMENT=true)
	@if grep '^GUARD-FAILED ' diff-comment.md && [ "$${ALLOW_REPLACEMENT:-false}" != true ]; then \
	  echo "ci-guard: a stateful or identity-carrying resource would be replaced or destroyed; label the pull request allow-replacement if that is intended" >&2; exit 1; fi

.PHONY: smoke
smoke: check-stage ## wait until STAGE's /healthz serves the deployed version fresh (CDK_APP=cdk.out)
	@scripts/require-aws-credentials smoke
	go run ./tools/cmd/smoke --assembly '$(or $(CDK_APP),$(CDK_OUT))/assembly-$(STAGE)' \
	  --url "$$(aws cloudformation describe-stacks --stack-name keel-$(STAGE) --query "Stacks[0].Outputs[?OutputKey=='Url'].OutputValue" --output text)"

.PHONY: bench
bench: tools-cdk ## measure synth, tests, boot, /healthz load, memory, sizes, deploy floor; table + bench/results/*.json
	@scripts/install-tools versitygw
	@go build -o bin/bench ./tools/cmd/bench
	bin/bench $(BENCH_FLAGS)

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

.PHONY: rehearse
rehearse: check-stage ## rehearse STAGE's deployment locally from cdk.out (SCENARIO=good|crash|unhealthy|errors, SPEED=1)
	@scripts/install-tools versitygw
	@go build -o bin/rehearse ./tools/cmd/rehearse
	bin/rehearse --stage '$(STAGE)' --cdk-out '$(CDK_OUT)' --scenario '$(or $(SCENARIO),good)' --speed '$(or $(SPEED),1)' --json '$(CDK_OUT)/rehearsal-$(STAGE).json' $(REHEARSE_FLAGS)
