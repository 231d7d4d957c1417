# access-controller — the two commands a newcomer needs are `make run` and `make test`.

# Tool versions, pinned to ones that build with Go 1.26 (GOTOOLCHAIN=local).
CONTROLLER_TOOLS_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0

LOCALBIN ?= $(shell pwd)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint
ACCESSCTL ?= $(LOCALBIN)/accessctl
# The shared scenarios beside this repository, or the copy in testdata/ (a test keeps it identical).
SCENARIOS ?= $(shell if [ -x ../shared/scenarios/run ]; then cd ../shared/scenarios && pwd; else echo $(CURDIR)/testdata/scenarios; fi)

SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Write the CRDs into config/crd/bases from the API markers.
	$(CONTROLLER_GEN) crd paths="./api/..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Write the deepcopy methods of the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: verify-gen
verify-gen: generate manifests ## Fail when generated files are out of date.
	@if [ -n "$$(git status --porcelain -- api config)" ]; then \
		echo "generated files are out of date; run 'make generate manifests' and commit:"; \
		git status --porcelain -- api config; git --no-pager diff -- api config | head -50; exit 1; fi

.PHONY: fmt
fmt: ## go fmt.
	go fmt ./...

.PHONY: verify-fmt
verify-fmt: ## Fail when a Go file is not gofmt-ed.
	@files=$$(gofmt -l $$(go list -f '{{.Dir}}' ./...)); if [ -n "$$files" ]; then echo "not gofmt-ed (run make fmt):"; echo "$$files"; exit 1; fi

.PHONY: vet
vet: ## go vet.
	go vet ./...

.PHONY: test
test: verify-gen verify-fmt vet build ## Run every test: unit, golden, fuzz seeds, and the shared scenarios against bin/accessctl.
	go test ./... -count=1
	"$(SCENARIOS)/run" $(ACCESSCTL)

.PHONY: bench
bench: ## Run the Go benchmarks (engine render, check, EP size).
	go test ./internal/engine/... ./pkg/check/... -run '^$$' -bench . -benchmem

.PHONY: fuzz
fuzz: ## Fuzz every target for FUZZTIME each (default 30s); `make test` runs their seed corpora.
	@set -e; for pkg in $$(go list ./...); do \
		for t in $$(go test $$pkg -list '^Fuzz' 2>/dev/null | grep '^Fuzz' || true); do \
			echo "== $$pkg $$t"; go test $$pkg -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-30s}; \
		done; done

.PHONY: lint
lint: golangci-lint ## Run golangci-lint (installed into bin/ on first use).
	$(GOLANGCI_LINT) run ./...

##@ Build

.PHONY: build
build: ## Build bin/accessctl.
	go build -o $(ACCESSCTL) ./cmd/accessctl

.PHONY: run
run: build ## Render the samples with accessctl (the next step runs the controller on a local control plane).
	$(ACCESSCTL) validate -f config/samples
	$(ACCESSCTL) render -f config/samples

##@ Tools

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen into bin/.
$(CONTROLLER_GEN):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Install golangci-lint into bin/.
$(GOLANGCI_LINT):
	GOBIN=$(LOCALBIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
