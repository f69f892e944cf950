# keel: one Go service on ECS Fargate. `make help` lists the targets.
SHELL := /bin/bash
# No "Entering directory" lines: what a target prints on stdout (make cost JSON=1) is its document,
# also when make runs inside another make (a test, a CI step).
MAKEFLAGS += --no-print-directory
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

STAGES := dev staging prod
CDK := node_modules/.bin/cdk
# Offline and quiet: no notices, no telemetry, no Node end-of-life banner from jsii.
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export KEEL_VERSITYGW := $(CURDIR)/.tools/bin/versitygw
GO_MODULES := app cmd infra test tools
FUZZTIME ?= 30s
CDK_OUT ?= cdk.out
# CDK_APP=cdk.out makes diff and deploy use an assembly synthesized before (CI synthesizes once).
CDK_APP ?=
cdk_app = $(if $(CDK_APP),--app '$(CDK_APP)')
# The CDK CLI reads every CDK_* environment variable as one of its options (CDK_APP='' as an
# empty --app), so these make variables never reach a recipe's environment; scripts get KEEL_*.
unexport CDK CDK_APP CDK_OUT
# The checks that must pass before cdk deploy (keel preflight); without --stage they only warn.
preflight = $(KEEL) preflight
# keel, the project's command line, built once: every target below that runs it depends on the
# file, which make rebuilds only when a Go source or module file it is built from changed.
KEEL := bin/keel
keel_sources := go.work $(shell find cmd tools app infra/settings -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.json' \) ! -name '*_test.go' ! -path '*/testdata/*')

.PHONY: help
help: ## list the targets by group, one line each (FULL=1: whole descriptions)
	@scripts/make-help '$(firstword $(MAKEFILE_LIST))' '$(FULL)'

$(KEEL): $(keel_sources)
	@go build -o $@ ./cmd/keel

.PHONY: keel
keel: $(KEEL) ## build the keel command line into bin/keel (keel help lists its commands)

.PHONY: tools
tools: ## install the pinned CDK CLI, local S3 server, linters, govulncheck and its database (cached by version)
	@scripts/install-tools all

.PHONY: tools-cdk
tools-cdk: ## install only the pinned CDK CLI (node_modules from package-lock.json)
	@scripts/install-tools cdk

.PHONY: synth
synth: $(KEEL) ## synthesize every stage into cdk.out, built-in template validation on
	@scripts/install-tools cdk
	@$(preflight)
	$(CDK) synth '**' --no-notices --quiet --output '$(CDK_OUT)'
	@echo "synth: one assembly per stage in $(CDK_OUT)/ ($(STAGES)); template validation report: $(CDK_OUT)/validation-report.json"

# One test binary more than there are cores (go test's default is one per core): the longest
# suites (the CLI through make, the vault faults, the rehearsal) mostly wait on servers and
# deployments, and on 2 cores the third one runs beside them instead of after them.
# -timeout: the review's history tests synthesize two revisions each, and under load test/cli
# passes go test's 10-minute default for one package binary.
go_test = go test -count=1 -timeout 25m -p $$(( $$(getconf _NPROCESSORS_ONLN) + 1 )) $(addprefix ./,$(addsuffix /...,$(GO_MODULES)))

.PHONY: test
test: tools $(KEEL) ## run every test of every module, then the lint checks (what CI runs)
	@for m in $(GO_MODULES); do (cd $$m && go mod download); done
	$(go_test)
	go run ./tools/cmd/vulncheck
	scripts/lint
	@$(preflight)

.PHONY: lint
lint: ## gofmt, golangci-lint (with go vet's analyzers), actionlint with shellcheck, cdk.json offline settings, cfn-lint over every stage's templates
	@scripts/install-tools lint cfnlint
	@$(MAKE) -s synth-fast
	scripts/lint --templates '$(CDK_OUT)'

.PHONY: vulndb-bump
vulndb-bump: ## move the vulnerability database to a newer golang.org/x/vulndb (VULNDB=pseudo-version|commit, default master) and scan
	scripts/vulndb-bump $(VULNDB)

.PHONY: diff
diff: check-stage ## cdk diff of STAGE against what is deployed (needs AWS credentials)
	@scripts/install-tools cdk
	@scripts/require-aws-credentials diff
	$(CDK) diff $(cdk_app) '$(STAGE)/*' --no-notices

.PHONY: deploy
deploy: check-stage ## deploy STAGE's service stack after the preflight checks (needs AWS credentials for the stage's account)
	@$(MAKE) -s preflight STAGE='$(STAGE)'
	@scripts/require-aws-credentials deploy
	@scripts/install-tools cdk
	@region=$$($(keel_stage) region); AWS_REGION="$$region" AWS_DEFAULT_REGION="$$region" scripts/deployment-alarms-clear keel-$(STAGE)
	$(CDK) deploy $(cdk_app) '$(STAGE)/Service' --no-notices $(DEPLOY_FLAGS)

.PHONY: deploy-roles
deploy-roles: check-stage ## deploy STAGE's GitHub Actions roles (an administrator, once per stage)
	@scripts/install-tools cdk
	@scripts/require-aws-credentials deploy-roles
	$(CDK) deploy $(cdk_app) '$(STAGE)/GitHub' --no-notices $(DEPLOY_FLAGS)

.PHONY: bootstrap
bootstrap: check-stage ## an administrator, once per stage: the policies stack, then cdk bootstrap scoped by them (DRY_RUN=1 prints the commands)
	@scripts/install-tools cdk
	@$(if $(DRY_RUN),,scripts/require-aws-credentials bootstrap)
	KEEL_CDK='$(CDK)' KEEL_CDK_OUT='$(CDK_OUT)' KEEL_ASSEMBLY='$(CDK_APP)' scripts/bootstrap $(if $(DRY_RUN),--dry-run) '$(STAGE)'

# keel_stage prints one fact of STAGE's settings (cdk.json over the Go defaults), without synth;
# stage_secrets sets the shell variables region, config and passphrase from it.
keel_stage = go run ./infra/cmd/keel-stage '$(STAGE)'
stage_secrets = region=$$($(keel_stage) region); config=$$($(keel_stage) config-secret); passphrase=$$($(keel_stage) passphrase-secret)

.PHONY: foundation
foundation: check-stage ## deploy STAGE's vault bucket, reader and secrets (an administrator, once)
	@$(keel_stage) foundation-stack >/dev/null
	@scripts/require-aws-credentials foundation
	@scripts/install-tools cdk
	$(CDK) deploy $(cdk_app) '$(STAGE)/Foundation' --no-notices $(DEPLOY_FLAGS)

.PHONY: rotate-reader-key
rotate-reader-key: check-stage ## after raising keel:<stage>.foundation.readerKeySerial: the new reader key and reader secret (make foundation), then the token for it (make publish ENV_FILE=f)
	@[ -n "$(ENV_FILE)" ] || { echo "make rotate-reader-key: ENV_FILE is required (make publish mints the new token): make rotate-reader-key STAGE=$(STAGE) ENV_FILE=.env.$(STAGE)" >&2; exit 2; }
	@$(MAKE) -s foundation STAGE='$(STAGE)'
	@$(MAKE) -s publish STAGE='$(STAGE)' ENV_FILE='$(ENV_FILE)'

.PHONY: publish
publish: check-stage ## push ENV_FILE to STAGE's vault, the passphrase and token into the foundation's secrets
	@[ -n "$(ENV_FILE)" ] || { echo "make publish: ENV_FILE is required: make publish STAGE=$(STAGE) ENV_FILE=.env.$(STAGE)" >&2; exit 2; }
	@scripts/require-aws-credentials publish
	@$(stage_secrets); reader=$$($(keel_stage) reader-secret); go build -o bin/vault ./app/cmd/vault; \
	  bin/vault publish --env-file '$(ENV_FILE)' --env '$(STAGE)' --region "$$region" --config-secret "$$config" --passphrase-secret "$$passphrase" --reader-secret "$$reader"

.PHONY: preflight
preflight: $(KEEL) ## the checks make deploy runs before cdk deploy (STAGE=x; without STAGE they only report)
	@$(if $(STAGE),$(stage_secrets); $(preflight) --stage '$(STAGE)' --region "$$region" --secret "$$config" --secret "$$passphrase",$(preflight))

.PHONY: pin-images
pin-images: $(KEEL) ## resolve the Dockerfile's image tags to digests (name:tag@sha256:…); needs the registries
	$(KEEL) pin-images --dockerfile Dockerfile

.PHONY: dev
dev: $(KEEL) ## run the service locally on a local S3 server and PostgreSQL with a sample vault (PORT=8080); Ctrl-C stops it
	@scripts/install-tools versitygw postgres
	@exec $(KEEL) dev --port $(or $(PORT),8080)

.PHONY: ci-diff
ci-diff: check-stage ## append STAGE's guard verdict and cdk diff (of CDK_APP or cdk.out) to diff-comment.md, the verdict to diff-verdicts
	@scripts/install-tools cdk
	@scripts/require-aws-credentials ci-diff
	KEEL_CDK='$(CDK)' KEEL_ASSEMBLY='$(or $(CDK_APP),$(CDK_OUT))' scripts/ci-diff '$(STAGE)'

.PHONY: ci-guard
ci-guard: ## fail unless diff-verdicts holds a verdict per stage and none failed (ALLOW_REPLACEMENT=true accepts a failed one)
	@for s in $(STAGES); do grep -qxE "$$s (pass|fail)" diff-verdicts 2>/dev/null || { echo "ci-guard: no guard verdict for $$s (did make ci-diff STAGE=$$s run?)" >&2; exit 1; }; done
	@if grep ' fail$$' diff-verdicts && [ "$${ALLOW_REPLACEMENT:-false}" != true ]; then \
	  echo "ci-guard: a stateful or identity-carrying resource would be replaced or destroyed; label the pull request allow-replacement if that is intended" >&2; exit 1; fi

.PHONY: deploy-guard
deploy-guard: check-stage ## CI, before make deploy: stop on a stateful replacement in the exact assembly it deploys (of CDK_APP or cdk.out)
	@scripts/require-aws-credentials deploy-guard
	@scripts/install-tools cdk
	CDK_APP='$(or $(CDK_APP),$(CDK_OUT))' scripts/deploy-guard '$(STAGE)'

.PHONY: db-setup
db-setup: check-stage ## run STAGE's one-shot dbsetup task (creates the service's database role) and wait for it (needs AWS credentials)
	@scripts/require-aws-credentials db-setup && region=$$($(keel_stage) region) && AWS_REGION="$$region" AWS_DEFAULT_REGION="$$region" scripts/db-setup keel-$(STAGE)

.PHONY: head-of-main
head-of-main: ## CI: deploy=true in GITHUB_OUTPUT only while GITHUB_SHA is the head of main (a superseded run deploys nothing)
	@scripts/require-head-of-main

.PHONY: smoke
smoke: check-stage $(KEEL) ## wait until STAGE's /healthz serves the deployed version fresh (CDK_APP=cdk.out)
	@scripts/require-aws-credentials smoke
	@output() { aws cloudformation describe-stacks --stack-name keel-$(STAGE) --query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" --output text; }; \
	  export KEEL_SMOKE_TOKEN; KEEL_SMOKE_TOKEN=$$(aws secretsmanager get-secret-value --secret-id "$$(output SmokeTokenArn)" --query SecretString --output text); \
	  $(KEEL) smoke --assembly '$(or $(CDK_APP),$(CDK_OUT))/assembly-$(STAGE)' --url "$$(output Url)"

.PHONY: cost
cost: $(KEEL) ## monthly cost of every stage (or STAGE) from its synthesized templates, offline; JSON=1 for JSON
	@$(MAKE) -s synth-fast
	@$(KEEL) cost --assembly '$(CDK_OUT)' $(if $(STAGE),--stage '$(STAGE)') $(if $(JSON),--json)

.PHONY: review
review: $(KEEL) ## the pull-request review offline: guard, cost and template diff of BASE (origin/main) against the working tree, into review-comment.md
	KEEL='$(KEEL)' scripts/review '$(or $(BASE),origin/main)' '$(or $(REVIEW_OUT),review-comment.md)'

.PHONY: review-pr
review-pr: ## (CI) the pull request a review run belongs to, from GitHub's record of the run
	scripts/review-pr

.PHONY: synth-fast
synth-fast: ## synthesize every stage into cdk.out without the built-in template validation (what cost and review read)
	@scripts/install-tools cdk
	@log=$$(mktemp); trap 'rm -f "$$log"' EXIT; \
	  CDK_VALIDATION=false $(CDK) synth '**' --no-notices --quiet --output '$(CDK_OUT)' >/dev/null 2>"$$log" || { cat "$$log" >&2; exit 1; }

.PHONY: bench
bench: tools-cdk $(KEEL) ## measure synth, tests, boot, /healthz load, memory, sizes, deploy floor; table + bench/results/*.json
	@scripts/install-tools versitygw
	$(KEEL) bench $(BENCH_FLAGS)

.PHONY: fuzz
fuzz: ## run each vsync fuzz target for FUZZTIME (default 30s)
	@for f in FuzzDecodeConfig FuzzOpenEnvelope FuzzParseManifest FuzzParseVault; do \
	  (cd app && go test ./vsync -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME)); done

.PHONY: docs
docs: $(KEEL) ## regenerate the reference pages (settings, commands, packages) and each stage's picture under docs/; tests fail while they are stale
	@scripts/install-tools graphviz
	@$(MAKE) -s synth-fast
	go run ./infra/cmd/keel-docs -assembly '$(CDK_OUT)'
	$(KEEL) help --markdown > docs/keel.md

.PHONY: check-stage
check-stage:
	@case " $(STAGES) " in *" $(STAGE) "*) ;; *) echo "make: STAGE='$(STAGE)' is not a stage: use STAGE=dev, STAGE=staging or STAGE=prod" >&2; exit 2;; esac

.PHONY: clean
clean: ## remove build output (cdk.out, bin)
	rm -rf cdk.out bin

.PHONY: rehearse
rehearse: check-stage $(KEEL) ## rehearse STAGE's deployment locally from cdk.out (SCENARIO=good|crash|unhealthy|errors, SPEED=1)
	@scripts/install-tools versitygw
	$(KEEL) rehearse --stage '$(STAGE)' --assembly '$(CDK_OUT)' --scenario '$(or $(SCENARIO),good)' --speed '$(or $(SPEED),1)' --report '$(CDK_OUT)/rehearsal-$(STAGE).json' $(REHEARSE_FLAGS)

# The day-2 commands read (rollback: acts on) a deployed stage with the caller's AWS credentials; README "keel and IAM" lists each one's actions.
.PHONY: status logs releases rollback drift
status: check-stage $(KEEL) ## STAGE's stack, deployment, tasks, target health, alarms in ALARM (JSON=1)
	@$(KEEL) status '$(STAGE)' $(if $(JSON),--json)
logs: check-stage $(KEEL) ## STAGE's service logs (SINCE=10m FOLLOW=1 LEVEL=WARN REQUEST_ID=… FILTER=… JSON=1)
	@$(KEEL) logs '$(STAGE)' --since '$(or $(SINCE),10m)' $(if $(FOLLOW),--follow) $(if $(LEVEL),--level '$(LEVEL)') $(if $(REQUEST_ID),--request-id '$(REQUEST_ID)') $(if $(FILTER),--filter '$(FILTER)') $(if $(JSON),--json)
releases: check-stage $(KEEL) ## STAGE's deployment history from ECS (JSON=1)
	@$(KEEL) releases '$(STAGE)' $(if $(JSON),--json)
rollback: check-stage $(KEEL) ## stop STAGE's deployment in progress and return to the previous revision (YES=1: no question)
	@$(KEEL) rollback '$(STAGE)' $(if $(YES),--yes)
drift: check-stage $(KEEL) ## resources of STAGE's stack changed outside CloudFormation; fails when any (JSON=1)
	@$(KEEL) drift '$(STAGE)' $(if $(JSON),--json)
