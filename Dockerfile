# The controller manager image. Mirrors `make build-manager`:
#   CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags '-s -w' -o manager ./cmd/manager
# Build with: make docker-build IMG=<registry>/access-controller:<tag>
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS builder
ARG TARGETOS=linux
ARG TARGETARCH
WORKDIR /workspace

# Dependencies first, so this layer stays cached until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download

# The sources the manager is built from.
COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY internal/ internal/
COPY pkg/ pkg/

RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags '-s -w' -o manager ./cmd/manager

# A static, shell-less base running as the distroless "nonroot" user.
FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /workspace/manager /manager
USER 65532:65532

ENTRYPOINT ["/manager"]
