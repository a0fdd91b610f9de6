#!/usr/bin/env bash
# End-to-end suite against a real control plane.
# Usage: tests/e2e/run.sh BUILD_DIR [go test flags, e.g. -run TestLoop]
#
# Builds kube-apiserver, kube-controller-manager and kubectl from the
# k8s.io/kubernetes release pinned in go.mod (once: they are cached per
# release under the user cache dir), then runs `go test ./...` here with
# GT_BIN pointing at the groundtruth binary of BUILD_DIR.
set -euo pipefail

usage() { echo "usage: $0 BUILD_DIR" >&2; exit 3; }
[ $# -ge 1 ] || usage
build_dir=$(realpath -m "$1")
shift # the rest goes to `go test` (e.g. -run TestLoop)
[ -d "$build_dir" ] || echo "e2e: no build directory $1: tests that need the groundtruth binary will skip" >&2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

command -v go >/dev/null || { echo "e2e: the Go toolchain (go) is required" >&2; exit 3; }

version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' go.mod)
[ -n "$version" ] || { echo "e2e: no k8s.io/kubernetes version in go.mod" >&2; exit 3; }
cache_root=${GT_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/groundtruth-e2e}
bin="$cache_root/$version/bin"
mkdir -p "$bin"

# Two cores are shared with everyone: at most two compile jobs.
export GOFLAGS="${GOFLAGS:-} -p=2"

# The stamp ties the cached binaries to go.sum and the Go version, so a
# change of pins or toolchain rebuilds them.
recipe=2 # bump when the build command below changes
stamp="recipe$recipe $(go env GOVERSION) $(sha256sum go.sum | cut -c1-16)"
(
  flock 9
  if [ -x "$bin/kube-apiserver" ] && [ -x "$bin/kube-controller-manager" ] && [ -x "$bin/kubectl" ] \
     && [ "$(cat "$bin/.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "e2e: control-plane binaries $version cached in $bin"
    exit 0
  fi
  echo "e2e: building kube-apiserver, kube-controller-manager, kubectl $version into $bin (minutes on a cold cache)"
  minor=${version#v1.}; minor=${minor%%.*}
  # No symbol table or DWARF: linking three ~150 MB binaries is most of a
  # warm rebuild, and nobody debugs the control plane from here.
  ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  start=$(date +%s)
  tmp=$(mktemp -d "$bin/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  go build -ldflags="$ldflags" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl
  mv -f "$tmp"/kube-apiserver "$tmp"/kube-controller-manager "$tmp"/kubectl "$bin"/
  echo "$stamp" > "$bin/.stamp"
  echo "e2e: built in $(( $(date +%s) - start ))s"
) 9>"$cache_root/.lock"

export GT_E2E_BIN_DIR="$bin"
export GT_BUILD_DIR="$build_dir" # example workloads, for containers' commands
export GT_BIN="$build_dir/cli/groundtruth"
if [ "$(id -u)" != 0 ]; then
  echo "e2e: not root: tests that need cgroups will skip"
fi
exec go test -count=1 -timeout 30m -v ./... "$@"
