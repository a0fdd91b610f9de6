package harness

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CgroupFS is where the cgroup hierarchies are mounted on this machine.
const CgroupFS = "/sys/fs/cgroup"

// v1Controllers are the hierarchies groundtruth's collectors read; the
// others are populated too because kubelet's cgroupfs driver (libcontainer)
// joins a container to every mounted hierarchy, so /proc/<pid>/cgroup of a
// workload names its container cgroup on every line, as on a real node.
var (
	v1Controllers      = []string{"memory", "cpu", "cpuacct", "pids", "blkio"}
	v1OtherHierarchies = []string{"cpuset", "devices", "freezer", "systemd"}
)

// cgroupLayout is the set of hierarchies a cgroup is created in: on a hybrid
// machine each v1 controller plus the v2 unified tree (which carries PSI);
// on a v2-only machine the single unified tree with controllers enabled.
type cgroupLayout struct {
	v1      []string // mount points of the v1 controllers, deduplicated
	unified string   // v2 mount point ("" if none)
	v2Only  bool
}

func detectCgroupLayout(fsRoot string) (*cgroupLayout, error) {
	if _, err := os.Stat(filepath.Join(fsRoot, "cgroup.controllers")); err == nil {
		return &cgroupLayout{unified: fsRoot, v2Only: true}, nil
	}
	l := &cgroupLayout{}
	seen := map[string]bool{}
	for _, ctrl := range append(append([]string(nil), v1Controllers...), v1OtherHierarchies...) {
		dir := filepath.Join(fsRoot, ctrl)
		// cpu and cpuacct are often one hierarchy reached through two names.
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			continue
		}
		if !seen[real] {
			seen[real] = true
			l.v1 = append(l.v1, real)
		}
	}
	if _, err := os.Stat(filepath.Join(fsRoot, "unified", "cgroup.procs")); err == nil {
		l.unified = filepath.Join(fsRoot, "unified")
	}
	if len(l.v1) == 0 && l.unified == "" {
		return nil, fmt.Errorf("no cgroup hierarchy under %s", fsRoot)
	}
	return l, nil
}

// dirs returns the directory of cgroup rel in every hierarchy.
func (l *cgroupLayout) dirs(rel string) []string {
	var out []string
	for _, h := range l.v1 {
		out = append(out, filepath.Join(h, rel))
	}
	if l.unified != "" {
		out = append(out, filepath.Join(l.unified, rel))
	}
	return out
}

func (l *cgroupLayout) v1Dir(ctrl, rel string) string {
	for _, h := range l.v1 {
		for _, name := range strings.Split(filepath.Base(h), ",") {
			if name == ctrl {
				return filepath.Join(h, rel)
			}
		}
	}
	return ""
}

// create makes cgroup rel (and its ancestors) in every hierarchy. On a
// v2-only machine it enables the controllers on the way down, as kubelet does.
func (l *cgroupLayout) create(rel string) error {
	for _, d := range l.dirs(rel) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if cs := l.v1Dir("cpuset", "/"); cs != "" {
		// A new v1 cpuset has no CPUs or memory nodes, and no process can
		// join it until they are copied down from the parent.
		cur := cs
		for _, p := range strings.Split(strings.Trim(rel, "/"), "/") {
			parent := cur
			cur = filepath.Join(cur, p)
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				if b, err := os.ReadFile(filepath.Join(cur, f)); err == nil && strings.TrimSpace(string(b)) != "" {
					continue
				}
				b, err := os.ReadFile(filepath.Join(parent, f))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(cur, f), b, 0); err != nil {
					return fmt.Errorf("%s: %w", filepath.Join(cur, f), err)
				}
			}
		}
	}
	if l.v2Only {
		parts := strings.Split(strings.Trim(rel, "/"), "/")
		cur := l.unified
		for _, p := range parts[:len(parts)-1] {
			cur = filepath.Join(cur, p)
			_ = os.WriteFile(filepath.Join(cur, "cgroup.subtree_control"), []byte("+memory +cpu +pids +io"), 0)
		}
	}
	return nil
}

// procsFiles are the cgroup.procs files a process writes its PID into to
// join cgroup rel everywhere.
func (l *cgroupLayout) procsFiles(rel string) []string {
	var out []string
	for _, d := range l.dirs(rel) {
		out = append(out, filepath.Join(d, "cgroup.procs"))
	}
	return out
}

// waitJoined waits until pid is listed in the last of procsFiles, which
// the launch shell writes just before exec: from then on the workload runs
// inside every cgroup. It gives up after timeout or when exited closes.
func waitJoined(procsFiles []string, pid int, exited <-chan struct{}, timeout time.Duration) bool {
	if len(procsFiles) == 0 {
		return false
	}
	last := procsFiles[len(procsFiles)-1]
	want := strconv.Itoa(pid)
	deadline := time.Now().Add(timeout)
	for {
		if data, err := os.ReadFile(last); err == nil {
			for _, f := range strings.Fields(string(data)) {
				if f == want {
					return true
				}
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-exited:
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// limits are the values kubelet derives from a pod's resources.
type limits struct {
	memoryBytes int64 // 0: unlimited
	cpuQuotaUs  int64 // 0: unlimited; per cpuPeriodUs
	cpuShares   int64 // cgroup v1 cpu.shares
}

const cpuPeriodUs = 100000

func (l *cgroupLayout) apply(rel string, lim limits) error {
	var errs []error
	write := func(path, value string) {
		if path == "" {
			return
		}
		if err := os.WriteFile(path, []byte(value), 0); err != nil {
			errs = append(errs, fmt.Errorf("write %q to %s: %w", value, path, err))
		}
	}
	if l.v2Only {
		d := filepath.Join(l.unified, rel)
		if lim.memoryBytes > 0 {
			write(filepath.Join(d, "memory.max"), strconv.FormatInt(lim.memoryBytes, 10))
		}
		if lim.cpuQuotaUs > 0 {
			write(filepath.Join(d, "cpu.max"), fmt.Sprintf("%d %d", lim.cpuQuotaUs, cpuPeriodUs))
		}
		if lim.cpuShares > 0 {
			// kubelet's CpuSharesToCpuWeight.
			write(filepath.Join(d, "cpu.weight"), strconv.FormatInt(1+((lim.cpuShares-2)*9999)/262142, 10))
		}
		return errors.Join(errs...)
	}
	if mem := l.v1Dir("memory", rel); mem != "" && lim.memoryBytes > 0 {
		write(filepath.Join(mem, "memory.limit_in_bytes"), strconv.FormatInt(lim.memoryBytes, 10))
	}
	if cpu := l.v1Dir("cpu", rel); cpu != "" {
		if lim.cpuQuotaUs > 0 {
			write(filepath.Join(cpu, "cpu.cfs_period_us"), strconv.Itoa(cpuPeriodUs))
			write(filepath.Join(cpu, "cpu.cfs_quota_us"), strconv.FormatInt(lim.cpuQuotaUs, 10))
		}
		if lim.cpuShares > 0 {
			write(filepath.Join(cpu, "cpu.shares"), strconv.FormatInt(lim.cpuShares, 10))
		}
	}
	return errors.Join(errs...)
}

// oomKills reads the kernel's OOM-kill counter of cgroup rel.
func (l *cgroupLayout) oomKills(rel string) int64 {
	// v1 memory.oom_control: "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n";
	// v2 memory.events: "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n".
	path := filepath.Join(l.unified, rel, "memory.events")
	if !l.v2Only {
		mem := l.v1Dir("memory", rel)
		if mem == "" {
			return 0
		}
		path = filepath.Join(mem, "memory.oom_control")
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == "oom_kill" {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// pids lists the processes in cgroup rel and its descendants (any hierarchy).
func (l *cgroupLayout) pids(rel string) []int {
	seen := map[int]bool{}
	for _, d := range l.dirs(rel) {
		_ = filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err != nil || !e.IsDir() {
				return nil
			}
			data, err := os.ReadFile(filepath.Join(path, "cgroup.procs"))
			if err != nil {
				return nil
			}
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil {
					seen[pid] = true
				}
			}
			return nil
		})
	}
	out := make([]int, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

// destroy kills every process in cgroup rel (and below) and removes the
// directories, deepest first, in every hierarchy. It retries for a few
// seconds because a killed process leaves its cgroup only once reaped.
func (l *cgroupLayout) destroy(rel string) error {
	if c := filepath.Clean("/" + rel); c == "/" {
		// Never the hierarchy roots: that would kill every process here.
		return fmt.Errorf("refusing to destroy cgroup root %q", rel)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, pid := range l.pids(rel) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		err := l.rmdirAll(rel)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (l *cgroupLayout) rmdirAll(rel string) error {
	var errs []error
	for _, d := range l.dirs(rel) {
		var dirs []string
		_ = filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
		// Children sort after their parents; remove in reverse.
		sort.Strings(dirs)
		for i := len(dirs) - 1; i >= 0; i-- {
			if err := syscall.Rmdir(dirs[i]); err != nil && !errors.Is(err, syscall.ENOENT) {
				errs = append(errs, fmt.Errorf("rmdir %s: %w", dirs[i], err))
			}
		}
	}
	return errors.Join(errs...)
}

// removeCgroupRoot tears down a cluster's whole cgroup tree.
func removeCgroupRoot(root string) {
	if root == "" || root == "/" {
		return
	}
	l, err := detectCgroupLayout(CgroupFS)
	if err != nil {
		return
	}
	_ = l.destroy(root)
}
