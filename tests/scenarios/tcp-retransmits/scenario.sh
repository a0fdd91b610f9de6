# Sourced by run.sh: the truth, the command, and what the scenario needs.
# Two network namespaces of the suite's own, joined by a veth pair, addresses from the
# benchmarking range 198.18.0.0/15 (RFC 2544) that exist only inside them; the receiver's
# namespace drops DROP_PERCENT of incoming packets at random (nftables numgen: this kernel
# has no netem). Nothing leaves the two namespaces.
TRUTH=NetworkDegraded
OWN_NETNS=1
NS_A=gt-scenario-tx NS_B=gt-scenario-rx PORT=5201 DROP_PERCENT=5
# groundtruth itself runs in the sender's namespace, so the workload is born there, as a
# pod's container is born in the namespace its pause container holds. Under
# `run -- ip netns exec`, the first reading could catch `ip` before it entered the namespace.
RUN_PREFIX=(nsenter --net="/run/netns/$NS_A")  # not ip netns exec: it remounts /sys, hiding the cgroup mounts
CMD=("$WORKLOAD" client 198.18.0.2 "$PORT")
requires() { require_netns; }
setup() {
  teardown 2>/dev/null
  ip netns add "$NS_A" && ip netns add "$NS_B" &&
    ip link add gt-scen-a netns "$NS_A" type veth peer name gt-scen-b netns "$NS_B" &&
    ip -n "$NS_A" addr add 198.18.0.1/30 dev gt-scen-a &&
    ip -n "$NS_B" addr add 198.18.0.2/30 dev gt-scen-b &&
    ip -n "$NS_A" link set gt-scen-a up && ip -n "$NS_B" link set gt-scen-b up &&
    ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up &&
    ip netns exec "$NS_B" nft -f - <<NFT || return 1
table inet gt_scenario {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport $PORT numgen random mod 100 < $DROP_PERCENT drop
  }
}
NFT
  ip netns exec "$NS_B" "$WORKLOAD" server "$PORT" &
  SERVER_PID=$!
  sleep 0.5
}
teardown() {
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  ip netns pids "$NS_B" 2>/dev/null | xargs -r kill 2>/dev/null
  ip netns del "$NS_A" 2>/dev/null
  ip netns del "$NS_B" 2>/dev/null
  return 0
}
