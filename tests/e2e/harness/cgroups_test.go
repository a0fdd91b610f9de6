package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCgroupLifecycle: a process started the way the fake kubelet starts
// containers is in the container cgroup of every hierarchy, under the
// limits written, and destroy kills it and removes every directory.
func TestCgroupLifecycle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create cgroups")
	}
	l, err := detectCgroupLayout(CgroupFS)
	if err != nil {
		t.Skip(err)
	}
	root := "/groundtruth-e2e-unit-" + randomHex(4)
	rel := filepath.Join(root, "kubepods", "burstable", "pod1234", randomHex(32))
	t.Cleanup(func() { _ = l.destroy(root) })
	if err := l.create(rel); err != nil {
		t.Fatal(err)
	}
	if err := l.apply(rel, limits{memoryBytes: 64 << 20, cpuQuotaUs: 50000, cpuShares: 512}); err != nil {
		t.Fatal(err)
	}
	const join = `for f in $GT_E2E_CGROUP_PROCS; do echo $$ > "$f" || exit 126; done; unset GT_E2E_CGROUP_PROCS; exec "$@"`
	cmd := exec.Command("/bin/sh", "-c", join, "sh", "sleep", "infinity")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GT_E2E_CGROUP_PROCS=" + strings.Join(l.procsFiles(rel), " ")}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	gone := make(chan struct{})
	go func() {
		err := cmd.Wait()
		close(gone)
		done <- err
	}()
	if !waitJoined(l.procsFiles(rel), cmd.Process.Pid, gone, 5*time.Second) {
		t.Fatalf("process %d never joined %s", cmd.Process.Pid, rel)
	}

	var pids []int
	for i := 0; i < 100 && len(pids) == 0; i++ {
		pids = l.pids(rel)
		if len(pids) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if len(pids) != 1 || pids[0] != cmd.Process.Pid {
		t.Fatalf("pids in %s: %v, want [%d]", rel, pids, cmd.Process.Pid)
	}
	self, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	// Every line, e.g. "4:memory:/groundtruth-e2e-unit-…/kubepods/…" and
	// "1:name=systemd:/…", names the container cgroup, as kubelet's
	// cgroupfs driver leaves it.
	for _, line := range strings.Split(strings.TrimSpace(string(self)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 && parts[2] != rel {
			t.Errorf("process cgroup line %q: want path %s", line, rel)
		}
	}
	if !l.v2Only {
		b, _ := os.ReadFile(filepath.Join(l.v1Dir("memory", rel), "memory.limit_in_bytes"))
		if strings.TrimSpace(string(b)) != "67108864" {
			t.Errorf("memory.limit_in_bytes = %q", b)
		}
		b, _ = os.ReadFile(filepath.Join(l.v1Dir("cpu", rel), "cpu.cfs_quota_us"))
		if strings.TrimSpace(string(b)) != "50000" {
			t.Errorf("cpu.cfs_quota_us = %q", b)
		}
	}
	if err := l.destroy(root); err != nil {
		t.Fatal(err)
	}
	<-done
	for _, d := range l.dirs(root) {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s still exists after destroy", d)
		}
	}
}
