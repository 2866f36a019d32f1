# syntax=docker/dockerfile:1

# Build: a static binary, without cgo, with paths and debug data stripped.
# The Go release of go.mod's go line and the Makefile's GOTOOLCHAIN.
FROM golang:1.27.3 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/identityd ./cmd/identityd

# Run: distroless, no shell, as the unprivileged nonroot user (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/identityd /usr/local/bin/identityd
USER nonroot:nonroot
ENV PORT=8080
EXPOSE 8080
# The binary checks itself: GET http://127.0.0.1:$PORT/healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/usr/local/bin/identityd", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/identityd"]
CMD ["serve"]
