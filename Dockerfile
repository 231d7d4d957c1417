# The images of access-controller, from one build stage. Mirrors `make build-manager` and
# `make build-decision-server`:
#   CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags '-s -w' -o manager ./cmd/manager
# Build the manager (the last stage, the default) with: make docker-build IMG=<registry>/access-controller:<tag>
# Build the decision server with: docker build --target decision-server -t <registry>/decision-server:<tag> .
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS builder
ARG TARGETOS=linux
ARG TARGETARCH
WORKDIR /workspace

# Dependencies first, so this layer stays cached until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download

# The sources the binaries are built from.
COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY internal/ internal/
COPY pkg/ pkg/

# Build stamps (make docker-build passes them; `manager --version` prints them).
ARG VERSION=devel
ARG COMMIT=
ARG BUILD_DATE=
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -o . \
    -ldflags "-s -w -X github.com/tenancy-dev/access-controller/internal/version.Version=${VERSION} -X github.com/tenancy-dev/access-controller/internal/version.Commit=${COMMIT} -X github.com/tenancy-dev/access-controller/internal/version.Date=${BUILD_DATE}" \
    ./cmd/manager ./cmd/decision-server

# The decision server: a static, shell-less base running as the distroless "nonroot" user.
FROM gcr.io/distroless/static:nonroot AS decision-server
WORKDIR /
COPY --from=builder /workspace/decision-server /decision-server
USER 65532:65532
ENTRYPOINT ["/decision-server"]

# The controller manager (the default target), on the same base.
FROM gcr.io/distroless/static:nonroot AS manager
WORKDIR /
COPY --from=builder /workspace/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
