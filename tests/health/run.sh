#!/usr/bin/env bash
# Proves the Argo CD and Flux health-check integrations with Argo CD's own Lua VM and
# built-in health and with Flux's own CEL evaluator against kstatus (see doc.go).
# Usage: tests/health/run.sh [go test flags]; GT_UPDATE=1 regenerates the shipped
# snippets from their sources before checking them.
set -euo pipefail
cd "$(dirname "$0")"
# Argo CD v3.6 and Flux kustomize-controller v1.10 need Go 1.27: the go command takes
# this approved toolchain from the module proxy like a module (about 10 s the first time).
export GOTOOLCHAIN=go1.27.3
# No `go mod download`: go test fetches only the modules the build needs (a fraction of
# Argo CD's module graph) into the default user caches.
if [ "${GT_UPDATE:-}" = 1 ]; then
  go test -count=1 -run IsGenerated .
fi
go test -count=1 "$@" ./...
