// Command cluster runs the e2e control plane by hand: etcd, kube-apiserver,
// kube-controller-manager and fake kubelets, until interrupted. It prints
// the admin kubeconfig path, for kubectl and for running groundtruth against
// it outside the test suite.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"groundtruth/tests/e2e/harness"
)

func main() {
	binDir := flag.String("bin-dir", harness.DefaultBinDir(), "directory holding kube-apiserver, kube-controller-manager, kubectl")
	dir := flag.String("dir", "", "directory for certificates, kubeconfigs, etcd data and logs (default: a new temporary directory, kept)")
	cgroupRoot := flag.String("cgroup-root", "", "parent cgroup of the fake kubelets' trees, relative to each hierarchy (default /groundtruth-e2e-<id>)")
	nodes := flag.String("nodes", "node-1", "comma-separated names of fake kubelets to start (empty: none)")
	flag.Parse()

	if os.Geteuid() != 0 && *nodes != "" {
		fmt.Fprintln(os.Stderr, "cluster: fake kubelets need root for cgroups; run as root or pass --nodes=")
		os.Exit(3)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	began := time.Now()
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	c, err := harness.New(ctx, harness.Options{
		BinDir: *binDir, Dir: *dir, KeepDir: true, CgroupRoot: *cgroupRoot, Logf: logf,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
	defer c.Stop()
	for _, n := range strings.Split(*nodes, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		k, err := c.StartKubelet(ctx, n, harness.KubeletOptions{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "cluster:", err)
			return
		}
		logf("cluster: node %s (IP %s, cgroups under %s)", k.Name, k.NodeIP, k.CgroupRoot)
	}
	logf("cluster: ready in %s; Ctrl-C stops it", time.Since(began).Round(time.Millisecond))
	fmt.Printf("export KUBECONFIG=%s\n", c.Kubeconfig)
	<-ctx.Done()
	logf("cluster: stopping")
}
