#!/bin/sh
# usage: run.sh BUILD_DIR MODE FILE_MB WINDOW_S SECONDS   (root, hybrid cgroup host)
# MODE: thrash (mmap re-read), stream (read() loop through the limit), warm (fill once,
# re-read a hot set that fits). 64 MiB memory limit, 40 MiB anonymous memory.
set -e
build=$1 mode=$2 name=gt-calib-$2-$$ data=$PWD/gt-calib-$$.dat
for c in memory cpu cpuacct pids unified; do mkdir -p /sys/fs/cgroup/$c/$name; done
echo $((64 << 20)) > /sys/fs/cgroup/memory/$name/memory.limit_in_bytes
sh -c "for c in memory cpu cpuacct pids unified; do echo \$\$ > /sys/fs/cgroup/\$c/$name/cgroup.procs; done; exec $(cd $build && pwd)/workload $mode $data $3" &
pid=$!
sleep 3
"$build"/calibrate $name $4 $5 || true
kill $pid; wait $pid 2>/dev/null || true
sleep 0.5
for c in memory cpu cpuacct pids unified; do rmdir /sys/fs/cgroup/$c/$name; done
rm -f $data
