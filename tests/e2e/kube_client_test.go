package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"groundtruth/tests/e2e/harness"
)

// TestKubeClientRealApiServer runs the C++ tests that need a real API server against this
// one: the client's own (tests/kube/real_apiserver_test.cc: paginated LIST, server-side
// apply and its preconditions, informers across re-watches, Lease election, Events) and
// the controller's writes as shipped (tests/controller/adapters_test.cc: condition,
// conditional annotation, withdrawal). They skip without a cluster, so this is where they
// run. The API-server restart case is TestLoop's item 8.
func TestKubeClientRealApiServer(t *testing.T) {
	build := os.Getenv("GT_BUILD_DIR")
	suites := []struct {
		binary, filter string
		maySkip        int // cases that need what this test does not give them
	}{
		{filepath.Join(build, "tests", "kube", "gt_kube_tests"), "RealApiServer.*", 1},
		{filepath.Join(build, "tests", "controller", "controller_adapters_test"), "RealApiServerWrites.*", 0},
	}
	for _, s := range suites {
		if _, err := os.Stat(s.binary); err != nil {
			t.Skipf("e2e: %s not built (GT_BUILD_DIR): %v", s.binary, err)
		}
	}
	c := harness.Start(t)
	for _, s := range suites {
		t.Run(filepath.Base(s.binary), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, s.binary, "--gtest_filter="+s.filter, "--gtest_brief=1")
			cmd.Env = append(os.Environ(), "GT_KUBE_E2E_KUBECONFIG="+c.Kubeconfig)
			out, err := cmd.CombinedOutput()
			t.Logf("%s", out)
			if err != nil {
				t.Fatalf("%s failed: %v", s.filter, err)
			}
			m := regexp.MustCompile(`\[  PASSED  \] (\d+) test`).FindSubmatch(out)
			if m == nil || string(m[1]) == "0" {
				t.Fatalf("no %s test passed", s.filter)
			}
			skipped := 0
			if m := regexp.MustCompile(`\[  SKIPPED \] (\d+) test`).FindSubmatch(out); m != nil {
				skipped, _ = strconv.Atoi(string(m[1]))
			}
			if skipped > s.maySkip {
				t.Fatalf("%d %s tests skipped; at most %d may be", skipped, s.filter, s.maySkip)
			}
		})
	}
}
