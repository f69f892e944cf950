# syntax=docker/dockerfile:1
# The service image: app/cmd/server as one static binary on distroless, run as nonroot.
# `cdk deploy` builds it as an image asset for the task's platform (linux/arm64 by default);
# .dockerignore keeps the context to what the binary is built from.
# Every image is written name:tag, and name:tag@sha256:… once `make pin-images` has resolved
# it where the registries are reachable; staging and prod deploys refuse tag-only images.
# Tags stay literal (no ARG): a digest pins exactly one tag, and Dependabot updates only
# literal FROM lines (dependabot-core#2057). The Go tag follows app/go.mod (the policy checks).

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src
ENV GOWORK=off CGO_ENABLED=0
COPY app/go.mod app/go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY app/ ./
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=unknown
ARG COMMIT=unknown
ARG BUILD_DATE=unknown
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags "-s -w -X github.com/keelstack/keel/app/internal/buildinfo.Version=$VERSION -X github.com/keelstack/keel/app/internal/buildinfo.Commit=$COMMIT -X github.com/keelstack/keel/app/internal/buildinfo.Date=$BUILD_DATE" -o /out/server ./cmd/server

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/server /server
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/server"]
CMD ["serve"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["/server", "healthcheck"]
