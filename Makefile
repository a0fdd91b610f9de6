# groundtruth: the two commands a newcomer runs are `make demo` and `make test`.
SHELL := /bin/bash
JOBS ?= 2
BUILD ?= build
ASAN_BUILD ?= build-asan
CMAKE_FLAGS ?=
# ccache keyed on paths relative to the checkout, so a fresh clone reuses earlier builds.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

DEB_PACKAGES := cmake ninja-build g++ clang clang-format libclang-rt-14-dev \
  libcpprest-dev nlohmann-json3-dev libfmt-dev libssl-dev libgtest-dev libgmock-dev \
  libboost-dev libboost-system-dev zlib1g-dev libyaml-cpp-dev libcli11-dev libbenchmark-dev \
  iproute2 nftables procps util-linux openssl ccache jq

.PHONY: all deps configure build build-asan test test-unit test-asan test-fuzz fuzz-long test-health test-e2e demo bench fmt lint clean

all: build

# Installs every Debian package the build and the suites need, non-interactively.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing $$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: need root to install Debian packages: $$missing" >&2; exit 3; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	fi

configure: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j$(JOBS)

# ASan + UBSan, with clang so the libFuzzer targets build in the same tree.
build-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_CXX_COMPILER=clang++ -DGT_SANITIZE=ON -DGT_FUZZ=ON -DGT_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j$(JOBS)

# Every suite: format, unit + real-cgroup (plain and sanitized), fuzzers briefly, end-to-end.
test: lint test-unit test-asan test-fuzz test-health test-e2e

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-asan: build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  ctest --output-on-failure -j$(JOBS) -LE 'fuzz|scenarios'

# Each libFuzzer target for a few seconds from fixed seeds (tests/fuzz_run.sh), JOBS at a time.
test-fuzz: build-asan
	cd $(ASAN_BUILD) && env -u FUZZ_SECONDS -u FUZZ_SEED ctest --output-on-failure -L fuzz -j$(JOBS)

# Each libFuzzer target for FUZZ_SECONDS from a random seed, JOBS at a time: with the default
# 60 s and 2 jobs about 13 minutes (docs/fuzzing.md). A crash, leak or hang fails its test
# and leaves the input (crash-*, leak-*, timeout-*) in its directory under $(ASAN_BUILD)/tests.
FUZZ_SECONDS ?= 60
fuzz-long: build-asan
	cd $(ASAN_BUILD) && FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=0 \
	  ctest --output-on-failure -L fuzz -j$(JOBS) --timeout $$(( $(FUZZ_SECONDS) + 300 ))

# Argo CD's own Lua VM and built-in health, Flux's own CEL against kstatus (Go).
test-health:
	tests/health/run.sh

test-e2e: build
	@if [ -x tests/e2e/run.sh ]; then tests/e2e/run.sh $(BUILD); else echo "test-e2e: no end-to-end suite yet"; fi

# Only what the demo runs: the groundtruth binary and the example workloads (not the tests,
# benches or the lean agent).
demo: configure
	cmake --build $(BUILD) -j$(JOBS) --target groundtruth examples
	@examples/demo.sh $(BUILD)/cli/groundtruth

bench: build
	@bench/run.sh $(BUILD)

fmt:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

lint: deps
	@git ls-files '*.h' '*.cc' | xargs clang-format --dry-run -Werror

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
