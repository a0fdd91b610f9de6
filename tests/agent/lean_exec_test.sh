#!/usr/bin/env bash
# `groundtruth agent` hands over to the lean groundtruth-agent beside it (same pid, same flags)
# and serves as before. Usage: lean_exec_test.sh GROUNDTRUTH_BINARY
set -euo pipefail
gt="$1"
dir=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

# A v2 fixture with an empty kubepods: enough for the agent to start and sample.
mkdir -p "$dir/proc/sys/kernel/random" "$dir/cgroup/kubepods"
echo 0d4c6a36-4c2b-4b4e-9a6e-2f1f7c3b9a10 >"$dir/proc/sys/kernel/random/boot_id"
printf 'MemTotal: 16384000 kB\nMemAvailable: 12000000 kB\n' >"$dir/proc/meminfo"
echo 'pgmajfault 123' >"$dir/proc/vmstat"
echo '0.50 0.40 0.30 2/345 6789' >"$dir/proc/loadavg"
echo 'cpu io memory pids' >"$dir/cgroup/cgroup.controllers"
"$gt" certs --out "$dir/tls" >/dev/null

"$gt" agent --listen 127.0.0.1:0 --interval 1s --host-proc "$dir/proc" --host-sys "$dir/cgroup" \
  --kubepods-cgroup kubepods --tls-ca "$dir/tls/ca.crt" --tls-cert "$dir/tls/agent.crt" \
  --tls-key "$dir/tls/agent.key" 2>"$dir/agent.log" &
pid=$!
for _ in $(seq 100); do
  grep -q 'agent started' "$dir/agent.log" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
grep -q 'agent started' "$dir/agent.log" || { cat "$dir/agent.log"; echo "FAIL: agent did not start"; exit 1; }
exe=$(readlink "/proc/$pid/exe")
case "$exe" in
  */groundtruth-agent) ;;
  *) echo "FAIL: pid $pid runs $exe, not groundtruth-agent"; exit 1 ;;
esac
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" = 0 ] || { cat "$dir/agent.log"; echo "FAIL: exit code $rc after SIGTERM"; exit 1; }
grep -q 'stopping on SIGTERM' "$dir/agent.log" || { echo "FAIL: no clean stop logged"; exit 1; }
echo "lean agent exec: 1 passed, 0 failed"
