#!/bin/sh
# Prints the path of a promtool, fetching it once from Debian's `prometheus` package: the .deb
# is downloaded (never installed: it would start a Prometheus service) and unpacked under
# ${XDG_CACHE_HOME:-~/.cache}/groundtruth-tools/prometheus-<version>/. Cached by version, so
# a second call only prints the path. Exit 77 (skip) only when apt is unavailable here;
# any other failure is an error naming what failed.
set -eu

if ! command -v apt-get >/dev/null 2>&1 || ! command -v apt-cache >/dev/null 2>&1 ||
   ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "promtool.sh: apt-get, apt-cache or dpkg-deb not found: cannot fetch Debian's prometheus package" >&2
  exit 77
fi

version=$(apt-cache policy prometheus 2>/dev/null | sed -n 's/^ *Candidate: *//p')
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  # The package lists may not have been fetched yet on a fresh machine.
  apt-get update -qq >/dev/null 2>&1 || true
  version=$(apt-cache policy prometheus 2>/dev/null | sed -n 's/^ *Candidate: *//p')
fi
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  echo "promtool.sh: apt knows no candidate for the package prometheus (after apt-get update)" >&2
  exit 1
fi

cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/groundtruth-tools
dir="$cache_root/prometheus-$(echo "$version" | tr -c 'A-Za-z0-9.+\n-' '_')"
promtool="$dir/root/usr/bin/promtool"
if [ -x "$promtool" ]; then
  echo "$promtool"
  exit 0
fi

mkdir -p "$cache_root"
(
  # One fetch at a time: ctest may start several tests that need promtool together.
  flock 9
  if [ ! -x "$promtool" ]; then
    work=$(mktemp -d "$cache_root/.fetch.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    # apt drops privileges to _apt for downloads; a directory it may write to.
    chmod 0777 "$work"
    if ! (cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "prometheus=$version" >&2); then
      echo "promtool.sh: apt-get download prometheus=$version failed" >&2
      exit 1
    fi
    deb=$(ls "$work"/prometheus_*.deb 2>/dev/null | head -n 1)
    if [ -z "$deb" ]; then
      echo "promtool.sh: apt-get download left no prometheus_*.deb in $work" >&2
      exit 1
    fi
    dpkg-deb -x "$deb" "$work/root"
    if [ ! -x "$work/root/usr/bin/promtool" ]; then
      echo "promtool.sh: $deb holds no usr/bin/promtool" >&2
      exit 1
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    # Keep promtool only (the package also holds the server, ~100 MiB).
    mkdir -p "$dir/root/usr/bin"
    mv "$work/root/usr/bin/promtool" "$dir/root/usr/bin/promtool"
  fi
) 9>"$cache_root/.prometheus.lock"
echo "$promtool"
