# access-controller — the two commands a newcomer needs are `make run` and `make test`.

# Tool versions, pinned to ones that build with Go 1.26 (GOTOOLCHAIN=local).
CONTROLLER_TOOLS_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0

LOCALBIN ?= $(shell pwd)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint
ETCD ?= $(LOCALBIN)/etcd
KUBE_APISERVER ?= $(LOCALBIN)/kube-apiserver
KUBECTL ?= $(LOCALBIN)/kubectl
# Version stamps for the control plane; a fixed build date keeps rebuilds no-ops.
KUBE_VERSION ?= v1.37.2
CONTROLPLANE_LDFLAGS ?= -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 \
	-X k8s.io/component-base/version.buildDate=2026-01-01T00:00:00Z \
	-X k8s.io/client-go/pkg/version.gitVersion=$(KUBE_VERSION) -X k8s.io/client-go/pkg/version.buildDate=2026-01-01T00:00:00Z
ACCESSCTL ?= $(LOCALBIN)/accessctl
# Build stamps of the three binaries (`accessctl version`, `manager --version`, `decision-server --version`).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
VERSION_PKG := github.com/tenancy-dev/access-controller/internal/version
LDFLAGS ?= -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Commit=$(COMMIT) -X $(VERSION_PKG).Date=$(BUILD_DATE)
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
manifests: controller-gen ## Write the CRDs, the RBAC role and the webhook configuration from the markers.
	$(CONTROLLER_GEN) crd paths="./api/..." output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GEN) rbac:roleName=manager-role webhook paths="./controllers/...;./internal/webhook/...;./internal/certrotation/..." output:rbac:artifacts:config=config/rbac output:webhook:artifacts:config=config/webhook
	hack/chart-sync.sh

.PHONY: generate
generate: controller-gen ## Write the deepcopy methods of the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: verify-gen
verify-gen: generate manifests ## Fail when generated files are out of date.
	@if [ -n "$$(git status --porcelain -- api config dist/chart)" ]; then \
		echo "generated files are out of date; run 'make generate manifests' and commit:"; \
		git status --porcelain -- api config dist/chart; git --no-pager diff -- api config dist/chart | head -50; exit 1; fi

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
test: verify-gen verify-fmt vet lint build controlplane openfga helm ## Run every check: generated files, gofmt, vet, golangci-lint, unit, golden, fuzz seeds, envtest against bin/'s control plane, the shared scenarios against bin/accessctl, the OpenFGA verdict comparison (short), and the alerts (promtool's checks and rule unit tests) and dashboard (hack/promcheck).
	ACCESS_CONTROLLER_REQUIRE_ENVTEST=1 go test ./... -count=1
	cd hack/decisionbench && ACCESS_CONTROLLER_REQUIRE_ENVTEST=1 go test ./... -count=1
	cd hack/promcheck && ACCESS_CONTROLLER_REQUIRE_ENVTEST=1 go test ./... -count=1
	"$(SCENARIOS)/run" $(ACCESSCTL)
	"$(SCENARIOS)/run" $(ACCESSCTL) testdata/own-scenarios/*/

# The scale run's sizes (members; tenants of 500), and its manager's write
# budget (--max-concurrent-writes; empty: the default, 64).
SCALE_MEMBERS ?= 1000,10000,50000
SCALE_WRITES ?=
.PHONY: bench
bench: controlplane openfga ## Go benchmarks (engine render, check, EP size), the scale run on a local control plane (1k/10k/50k members, one big tenant), the decision server against OpenFGA, then pkg/check against Casbin and OpenFGA in-process (hack/anchorbench; docs/performance.md).
	go test ./internal/engine/... ./pkg/check/... -run '^$$' -bench . -benchmem
	go test ./controllers/ -run '^$$' -bench '^BenchmarkPass$$' -benchmem
	ACCESS_CONTROLLER_SCALE=1 ACCESS_CONTROLLER_SCALE_MEMBERS=$(SCALE_MEMBERS) ACCESS_CONTROLLER_SCALE_WRITES=$(SCALE_WRITES) go test ./controllers/ -run '^(TestScale|TestBigTenant)$$' -count=1 -v -timeout 120m | grep -E 'SCALE|^(---|ok|FAIL)'
	cd hack/decisionbench && DECISIONBENCH=1 go test . -run '^TestBenchmark$$' -count=1 -v -timeout 120m | grep -E 'DECISIONBENCH|bench(_test)?\.go|^(---|ok|FAIL)'
	cd hack/anchorbench && ANCHORBENCH=1 go test . -run '^TestAnchors$$' -count=1 -v -timeout 120m

.PHONY: reliability
reliability: controlplane ## The fault tests at full size (minutes): 1,008 last-SuperAdmin race trials (and 504 each of cycles and e-mails) through two webhook replicas, kill/churn with 1,000 mutations and 50+ SIGKILLs, a 60 s API server outage, delayed lists, revocation latency at 1k EffectivePermissions (docs/reliability.md). `make test` runs a short version.
	ACCESS_CONTROLLER_REQUIRE_ENVTEST=1 ACCESS_CONTROLLER_RACE_TRIALS=$${RACE_TRIALS:-1008} \
		go test ./internal/webhook/ -run '^TestRace' -count=1 -v -timeout 60m | grep -E 'RACE|^(---|ok|FAIL)'
	ACCESS_CONTROLLER_REQUIRE_ENVTEST=1 RELIABILITY_MUTATIONS=$${RELIABILITY_MUTATIONS:-1000} RELIABILITY_KILLS=$${RELIABILITY_KILLS:-50} \
		RELIABILITY_OUTAGE_SECONDS=60 RELIABILITY_OUTAGE_MUTATIONS=200 RELIABILITY_PARTIAL_SECONDS=15 \
		RELIABILITY_LATENCY_SAMPLES=100 RELIABILITY_LATENCY_CLIENTS=40 ACCESS_CONTROLLER_PROPERTY_WORLDS=100000 \
		go test ./internal/reliability/ ./internal/engine/ -run '^(TestKillChurn|TestOutage|TestPartialKnowledge|TestRevocationLatency|TestProperties.*|TestReuseAgrees)$$' -count=1 -v -timeout 90m | grep -E 'RELIABILITY|worlds|excused|^(---|ok|FAIL)'

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
build: ## Build bin/accessctl, with links to it as kubectl's plugin (bin/kubectl-access) and its completion helper (bin/kubectl_complete-access).
	go build -ldflags "$(LDFLAGS)" -o $(ACCESSCTL) ./cmd/accessctl
	ln -sf accessctl $(LOCALBIN)/kubectl-access
	ln -sf accessctl $(LOCALBIN)/kubectl_complete-access

.PHONY: plugin-release
plugin-release: ## Build kubectl-access's release archives for VERSION (vX.Y.Z) and krew's manifest with their sha256 into bin/krew/ (docs/accessctl.md).
	dist/krew/archives.sh $(VERSION) $(LOCALBIN)/krew "$(LDFLAGS)"
	dist/krew/render.sh $(VERSION) $(LOCALBIN)/krew

MANAGER ?= $(LOCALBIN)/manager

.PHONY: build-manager
build-manager: ## Build bin/manager, the controller manager.
	go build -ldflags "$(LDFLAGS)" -o $(MANAGER) ./cmd/manager

DECISION_SERVER ?= $(LOCALBIN)/decision-server

.PHONY: build-decision-server
build-decision-server: ## Build bin/decision-server, the read-only decision API (docs/decision-server.md).
	go build -ldflags "$(LDFLAGS)" -o $(DECISION_SERVER) ./cmd/decision-server

.PHONY: run
run: controlplane manifests build-manager build-decision-server ## Run the controller and the decision server on a local etcd + kube-apiserver with the samples applied (Ctrl-C stops everything).
	exec hack/local-up.sh

##@ Deployment

# The manager image for docker-build and deploy.
IMG ?= controller:latest
CONTAINER_TOOL ?= docker
# `make uninstall undeploy ignore-not-found=true` ignores objects already gone.
ignore-not-found ?= false

.PHONY: docker-build
docker-build: ## Build the manager image IMG (default controller:latest).
	$(CONTAINER_TOOL) build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) --build-arg BUILD_DATE=$(BUILD_DATE) -t $(IMG) .

.PHONY: build-installer
build-installer: manifests kustomize ## Write dist/install.yaml: CRDs, RBAC, the manager (image IMG, two replicas) and its webhooks in one file for `kubectl apply --server-side -f` (cert-manager must be installed).
	@# The image is set on a temporary copy of config/, so the tree stays clean.
	mkdir -p dist
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; cp -R config "$$tmp/"; \
	(cd "$$tmp/config/manager" && $(KUSTOMIZE) edit set image controller=$(IMG)); \
	$(KUSTOMIZE) build "$$tmp/config/default" > dist/install.yaml
	@echo "wrote dist/install.yaml (image $(IMG))"

.PHONY: install
install: manifests kustomize ## Install the CRDs into the cluster of the current kubeconfig (KUBECTL=kubectl to use yours).
	@command -v $(KUBECTL) >/dev/null || { echo "$(KUBECTL) not found: run 'make controlplane' or pass KUBECTL=kubectl"; exit 1; }
	$(KUSTOMIZE) build config/crd | $(KUBECTL) apply --server-side -f -

.PHONY: uninstall
uninstall: kustomize ## Delete the CRDs (and so every object of them) from the cluster of the current kubeconfig.
	@command -v $(KUBECTL) >/dev/null || { echo "$(KUBECTL) not found: run 'make controlplane' or pass KUBECTL=kubectl"; exit 1; }
	$(KUSTOMIZE) build config/crd | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

.PHONY: deploy
deploy: manifests kustomize ## Deploy CRDs, RBAC, the manager (image IMG) and its webhooks to the cluster of the current kubeconfig (cert-manager must be installed).
	@command -v $(KUBECTL) >/dev/null || { echo "$(KUBECTL) not found: run 'make controlplane' or pass KUBECTL=kubectl"; exit 1; }
	@# The image is set on a temporary copy of config/, so the tree stays clean.
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; cp -R config "$$tmp/"; \
	(cd "$$tmp/config/manager" && $(KUSTOMIZE) edit set image controller=$(IMG)); \
	$(KUSTOMIZE) build "$$tmp/config/default" | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: kustomize ## Delete what deploy created, CRDs included, from the cluster of the current kubeconfig.
	@command -v $(KUBECTL) >/dev/null || { echo "$(KUBECTL) not found: run 'make controlplane' or pass KUBECTL=kubectl"; exit 1; }
	$(KUSTOMIZE) build config/default | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

##@ Tools

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen into bin/.
$(CONTROLLER_GEN):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Install golangci-lint into bin/.
$(GOLANGCI_LINT):
	GOBIN=$(LOCALBIN) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

.PHONY: controlplane
controlplane: $(ETCD) $(KUBE_APISERVER) $(KUBECTL) ## Build etcd, kube-apiserver and kubectl into bin/ from the Go module proxy (once; ~12 min cold on 2 cores).
$(ETCD): hack/controlplane/go.mod hack/controlplane/go.sum
	cd hack/controlplane && go build -o $(ETCD) ./cmd/etcd
$(KUBE_APISERVER) $(KUBECTL) &: hack/controlplane/go.mod hack/controlplane/go.sum
	cd hack/controlplane && go build -ldflags "$(CONTROLPLANE_LDFLAGS)" -o $(LOCALBIN)/ ./cmd/kube-apiserver ./cmd/kubectl

KUSTOMIZE ?= $(LOCALBIN)/kustomize
KUSTOMIZE_VERSION ?= v5.8.1
.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Install kustomize into bin/.
$(KUSTOMIZE):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

OPENFGA ?= $(LOCALBIN)/openfga
OPENFGA_VERSION ?= v1.22.1
.PHONY: promtool-check
promtool-check: ## The alerts under a real promtool (built into bin/ once, ~460 CPU-s cold); make test runs the same checks through Prometheus' packages (hack/promcheck).
	GOBIN=$(LOCALBIN) go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0
	cd hack/promcheck && PROMTOOL=$(LOCALBIN)/promtool go test . -run TestPromtoolAgrees -count=1 -v

.PHONY: chart-sync
chart-sync: ## Copy config/'s CRDs, RBAC, webhook configuration and alerts into the Helm chart (dist/chart/files).
	hack/chart-sync.sh

HELM ?= $(LOCALBIN)/helm
HELM_VERSION ?= v4.3.2
.PHONY: helm
helm: $(HELM) ## Install Helm into bin/ from its module (TestChart lints and renders dist/chart with it; ~4 min cold on 2 cores).
$(HELM):
	GOBIN=$(LOCALBIN) go install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

.PHONY: openfga
openfga: $(OPENFGA) ## Install OpenFGA's server into bin/ from its release module (the decision server's benchmark anchor, hack/decisionbench).
$(OPENFGA):
	GOBIN=$(LOCALBIN) go install github.com/openfga/openfga/cmd/openfga@$(OPENFGA_VERSION)
