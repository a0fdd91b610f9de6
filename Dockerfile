# Two binaries on a slim runtime: groundtruth, and the statically linked groundtruth-agent
# it execs. Build: `docker build -t groundtruth:v0.1.0 .` (the tag manifests/base names).
FROM debian:bookworm AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      make cmake ninja-build g++ libcpprest-dev nlohmann-json3-dev libfmt-dev libssl-dev \
      libboost-dev libboost-system-dev libyaml-cpp-dev libcli11-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGT_BENCH=OFF \
    && cmake --build /build --target groundtruth \
    && strip /build/cli/groundtruth /build/cli/groundtruth-agent

FROM debian:bookworm-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libcpprest2.10 libyaml-cpp0.7 libfmt9 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/cli/groundtruth /usr/local/bin/groundtruth
# `groundtruth agent` execs this statically linked agent when it sits beside groundtruth.
COPY --from=build /build/cli/groundtruth-agent /usr/local/bin/groundtruth-agent
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/groundtruth"]
