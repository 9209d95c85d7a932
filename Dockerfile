# The image sbx is copied from: FROM scratch, holding nothing but /sbx (the glibc build) and
# /sbx-musl (the musl build), for linux/amd64 and linux/arm64. Build it after `npm run release`:
#
#   docker build -t sbx:0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 -t registry.example/sbx:0.1.0 --push .
#
# and use it from another image's Dockerfile (README.md, "Into an image"):
#
#   COPY --from=sbx:0.1.0 /sbx /usr/local/bin/sbx
#
# BuildKit sets TARGETARCH and TARGETVARIANT per platform; together they name the stage to use.
# Every amd64 level (v2, v3, v4) gets the one x64 build: Bun's x64 and x64-baseline runtimes are the
# same bytes. A platform without a stage here (linux/arm/v7, linux/riscv64…) fails the build: the
# stage names start with "sbx-", which no official image has, so nothing is pulled in their place.
ARG SBX_VERSION=0.1.0
ARG TARGETARCH
ARG TARGETVARIANT

FROM scratch AS sbx-amd64
ARG SBX_VERSION
COPY dist/release/sbx-${SBX_VERSION}-linux-x64 /sbx
COPY dist/release/sbx-${SBX_VERSION}-linux-x64-musl /sbx-musl

FROM scratch AS sbx-arm64
ARG SBX_VERSION
COPY dist/release/sbx-${SBX_VERSION}-linux-arm64 /sbx
COPY dist/release/sbx-${SBX_VERSION}-linux-arm64-musl /sbx-musl

FROM sbx-amd64 AS sbx-amd64v2
FROM sbx-amd64 AS sbx-amd64v3
FROM sbx-amd64 AS sbx-amd64v4
FROM sbx-arm64 AS sbx-arm64v8

FROM sbx-${TARGETARCH}${TARGETVARIANT}
