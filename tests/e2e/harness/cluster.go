// Package harness runs a real Kubernetes control plane for groundtruth's
// end-to-end suite: embedded etcd, kube-apiserver and kube-controller-manager
// built from k8s.io/kubernetes at KubernetesVersion, plus fake kubelets that
// bind pods, run their commands as real processes in real cgroups on this
// machine, and report pod status the way kubelet does.
package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// KubernetesVersion is the k8s.io/kubernetes release pinned in go.mod; run.sh
// builds the binaries of this release into BinDir.
const KubernetesVersion = "v1.37.2"

// Options configure a cluster. The zero value is usable.
type Options struct {
	// BinDir holds kube-apiserver, kube-controller-manager and kubectl.
	// Default: $GT_E2E_BIN_DIR, else <user cache dir>/groundtruth-e2e/<version>/bin.
	BinDir string
	// Dir receives certificates, kubeconfigs, etcd data and logs. Default: a
	// new temporary directory, removed by Stop unless KeepDir is set.
	Dir     string
	KeepDir bool
	// CgroupRoot is the parent of every fake kubelet's cgroup tree, relative
	// to each hierarchy's mount point (kubelet's --cgroup-root). Each node gets
	// <CgroupRoot>/<node>/kubepods/... Default: $GT_E2E_CGROUP_ROOT, else
	// /groundtruth-e2e-<cluster id>.
	CgroupRoot string
	// Extra flags, appended after the harness's own (a later flag wins).
	APIServerArgs         []string
	ControllerManagerArgs []string
	// Logf receives progress lines; default: discarded.
	Logf func(format string, args ...any)
}

// Cluster is a running control plane.
type Cluster struct {
	ID                string
	Dir               string
	BinDir            string
	CgroupRoot        string
	Server            string // https://127.0.0.1:<port>
	Kubeconfig        string // admin (system:masters) kubeconfig
	CA                *CA
	Config            *rest.Config
	Client            kubernetes.Interface
	ServiceAccountKey KeyPair

	opts      Options
	tb        testing.TB // set by Start: helpers fail the test instead of panicking
	etcd      *embed.Etcd
	apiserver *process
	kcm       *process
	scheduler *binder

	mu       sync.Mutex
	kubelets []*FakeKubelet
	stopped  bool
	stopOnce sync.Once
}

var (
	liveMu       sync.Mutex
	liveClusters = map[*Cluster]struct{}{}
	signalOnce   sync.Once
)

// stopOnSignal tears every live cluster down on SIGINT/SIGTERM: the
// control-plane processes would die with the suite anyway (Pdeathsig), but
// the workloads' cgroups would be left behind.
func stopOnSignal() {
	signalOnce.Do(func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		go func() {
			sig := <-ch
			liveMu.Lock()
			cs := make([]*Cluster, 0, len(liveClusters))
			for c := range liveClusters {
				cs = append(cs, c)
			}
			liveMu.Unlock()
			for _, c := range cs {
				c.Stop()
			}
			fmt.Fprintf(os.Stderr, "e2e harness: %v: clusters stopped\n", sig)
			os.Exit(130)
		}()
	})
}

// DefaultBinDir is where run.sh caches the control-plane binaries.
func DefaultBinDir() string {
	if d := os.Getenv("GT_E2E_BIN_DIR"); d != "" {
		return d
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "groundtruth-e2e", KubernetesVersion, "bin")
}

// MissingBinaries lists the control-plane binaries absent from binDir.
func MissingBinaries(binDir string) []string {
	var missing []string
	for _, b := range []string{"kube-apiserver", "kube-controller-manager", "kubectl"} {
		if _, err := os.Stat(filepath.Join(binDir, b)); err != nil {
			missing = append(missing, b)
		}
	}
	return missing
}

// Start runs a cluster for the test and stops it in t.Cleanup. It skips the
// test when not root (fake kubelets need cgroups) or when the binaries have
// not been built (run tests/e2e/run.sh).
func Start(t testing.TB, opts ...Options) *Cluster {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("e2e: needs root to create cgroups and run workloads in them; run as root")
	}
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.BinDir == "" {
		o.BinDir = DefaultBinDir()
	}
	if missing := MissingBinaries(o.BinDir); len(missing) > 0 {
		t.Skipf("e2e: %v not built in %s; run tests/e2e/run.sh", missing, o.BinDir)
	}
	if o.Logf == nil {
		o.Logf = t.Logf
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := New(ctx, o)
	if err != nil {
		t.Fatalf("e2e: start cluster: %v", err)
	}
	c.tb = t
	t.Cleanup(func() {
		if t.Failed() {
			c.opts.KeepDir = true
			t.Logf("e2e: cluster files and logs kept in %s", c.Dir)
		}
		c.Stop()
	})
	return c
}

// New starts a cluster; the caller must call Stop.
func New(ctx context.Context, o Options) (_ *Cluster, err error) {
	if o.BinDir == "" {
		o.BinDir = DefaultBinDir()
	}
	if missing := MissingBinaries(o.BinDir); len(missing) > 0 {
		return nil, fmt.Errorf("%v not built in %s; run tests/e2e/run.sh", missing, o.BinDir)
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	id := randomHex(4)
	if o.Dir == "" {
		if o.Dir, err = os.MkdirTemp("", "gt-e2e-"+id+"-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	if o.CgroupRoot == "" {
		o.CgroupRoot = os.Getenv("GT_E2E_CGROUP_ROOT")
	}
	if o.CgroupRoot == "" {
		o.CgroupRoot = "/groundtruth-e2e-" + id
	}
	c := &Cluster{ID: id, Dir: o.Dir, BinDir: o.BinDir, CgroupRoot: o.CgroupRoot, opts: o}
	stopOnSignal()
	liveMu.Lock()
	liveClusters[c] = struct{}{}
	liveMu.Unlock()
	defer func() {
		if err != nil {
			c.opts.KeepDir = true
			c.Stop()
			err = fmt.Errorf("%w (files and logs kept in %s)", err, c.Dir)
		}
	}()

	began := time.Now()
	if err := c.writeCredentials(); err != nil {
		return nil, err
	}
	var etcdURL string
	if c.etcd, etcdURL, err = startEtcd(filepath.Join(c.Dir, "etcd"), filepath.Join(c.Dir, "etcd.log")); err != nil {
		return nil, err
	}
	o.Logf("e2e: etcd ready at %s (%s)", etcdURL, time.Since(began).Round(time.Millisecond))

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	c.Server = fmt.Sprintf("https://127.0.0.1:%d", port)
	c.apiserver = &process{
		name:    "kube-apiserver",
		path:    filepath.Join(c.BinDir, "kube-apiserver"),
		args:    append(c.apiserverArgs(etcdURL, port), o.APIServerArgs...),
		logPath: filepath.Join(c.Dir, "kube-apiserver.log"),
	}
	if err := c.apiserver.start(); err != nil {
		return nil, err
	}
	if err := c.writeAdminKubeconfig(); err != nil {
		return nil, err
	}
	if err := c.WaitReady(ctx); err != nil {
		return nil, err
	}
	o.Logf("e2e: kube-apiserver ready at %s (%s)", c.Server, time.Since(began).Round(time.Millisecond))

	c.kcm = &process{
		name:    "kube-controller-manager",
		path:    filepath.Join(c.BinDir, "kube-controller-manager"),
		args:    append(c.controllerManagerArgs(), o.ControllerManagerArgs...),
		logPath: filepath.Join(c.Dir, "kube-controller-manager.log"),
	}
	if err := c.kcm.start(); err != nil {
		return nil, err
	}
	if err := c.waitDefaultServiceAccount(ctx); err != nil {
		return nil, err
	}
	o.Logf("e2e: kube-controller-manager running (%s); kubeconfig %s", time.Since(began).Round(time.Millisecond), c.Kubeconfig)

	c.scheduler = startBinder(c)
	return c, nil
}

func (c *Cluster) writeCredentials() error {
	var err error
	if c.CA, err = NewCA(c.Dir, "groundtruth-e2e-ca"); err != nil {
		return err
	}
	if _, err = c.CA.ServingCert(c.Dir, "apiserver",
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"},
		[]net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(serviceIP)}); err != nil {
		return err
	}
	if _, err = c.CA.ClientCert(c.Dir, "admin", "admin", "system:masters"); err != nil {
		return err
	}
	if _, err = c.CA.ClientCert(c.Dir, "kube-controller-manager", "system:kube-controller-manager"); err != nil {
		return err
	}
	c.ServiceAccountKey, err = writeServiceAccountKey(c.Dir)
	return err
}

const (
	serviceCIDR = "10.96.0.0/24"
	serviceIP   = "10.96.0.1"
)

func (c *Cluster) apiserverArgs(etcdURL string, port int) []string {
	d := c.Dir
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		// Loopback is not a valid endpoint for the "kubernetes" Service, so the
		// endpoint reconciler is off rather than failing in a loop.
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir=" + filepath.Join(d, "apiserver-certs"),
		"--tls-cert-file=" + filepath.Join(d, "apiserver.crt"),
		"--tls-private-key-file=" + filepath.Join(d, "apiserver.key"),
		"--client-ca-file=" + c.CA.CertFile,
		"--service-account-key-file=" + c.ServiceAccountKey.CertFile,
		"--service-account-signing-key-file=" + c.ServiceAccountKey.KeyFile,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=" + serviceCIDR,
		"--authorization-mode=Node,RBAC",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=1",
	}
}

func (c *Cluster) controllerManagerArgs() []string {
	d := c.Dir
	kubeconfig := filepath.Join(d, "kube-controller-manager.kubeconfig")
	return []string{
		"--kubeconfig=" + kubeconfig,
		// No serving port: nothing scrapes it, and a fixed port would clash
		// between clusters of parallel tests.
		"--secure-port=0",
		"--controllers=*",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + c.ServiceAccountKey.KeyFile,
		"--root-ca-file=" + c.CA.CertFile,
		"--cluster-signing-cert-file=" + c.CA.CertFile,
		"--cluster-signing-key-file=" + c.CA.KeyFile,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--leader-elect=false",
		"--profiling=false",
		"--v=1",
	}
}

func (c *Cluster) writeAdminKubeconfig() error {
	c.Kubeconfig = filepath.Join(c.Dir, "admin.kubeconfig")
	if err := writeKubeconfig(c.Kubeconfig, c.Server, c.CA.CertFile, KeyPair{
		CertFile: filepath.Join(c.Dir, "admin.crt"), KeyFile: filepath.Join(c.Dir, "admin.key"),
	}, ""); err != nil {
		return err
	}
	if err := writeKubeconfig(filepath.Join(c.Dir, "kube-controller-manager.kubeconfig"), c.Server,
		c.CA.CertFile, KeyPair{
			CertFile: filepath.Join(c.Dir, "kube-controller-manager.crt"),
			KeyFile:  filepath.Join(c.Dir, "kube-controller-manager.key"),
		}, ""); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 100, 200
	c.Config = cfg
	c.Client, err = kubernetes.NewForConfig(cfg)
	return err
}

// WaitReady polls /readyz until the API server answers ok.
func (c *Cluster) WaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var last error
	for {
		if done, perr := c.apiserver.exited(); done {
			return fmt.Errorf("kube-apiserver exited (%v); see %s", perr, c.apiserver.logPath)
		}
		body, err := c.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && strings.TrimSpace(string(body)) == "ok" {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver not ready: %v (last: %v); see %s", ctx.Err(), last, c.apiserver.logPath)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitDefaultServiceAccount waits for the service-account controller to
// create "default" in namespace default: until then the ServiceAccount
// admission plugin rejects pods, so this is when workloads can start.
func (c *Cluster) waitDefaultServiceAccount(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		if done, perr := c.kcm.exited(); done {
			return fmt.Errorf("kube-controller-manager exited (%v); see %s", perr, c.kcm.logPath)
		}
		_, err := c.Client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			return nil
		}
		if !apierrors.IsNotFound(err) {
			c.opts.Logf("e2e: waiting for the default service account: %v", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no default service account: %v; see %s", ctx.Err(), c.kcm.logPath)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// RestartAPIServer stops kube-apiserver and starts it again on the same port
// and store; clients and watches see a disconnect.
func (c *Cluster) RestartAPIServer(ctx context.Context) error {
	c.StopAPIServer()
	return c.StartAPIServer(ctx)
}

// StopAPIServer stops kube-apiserver (gracefully, then SIGKILL after 10 s).
func (c *Cluster) StopAPIServer() { c.apiserver.stop(10 * time.Second) }

// StartAPIServer starts a stopped kube-apiserver and waits for /readyz.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	if err := c.apiserver.start(); err != nil {
		return err
	}
	return c.WaitReady(ctx)
}

// RestartControllerManager stops and restarts kube-controller-manager.
func (c *Cluster) RestartControllerManager() error {
	c.kcm.stop(10 * time.Second)
	return c.kcm.start()
}

// LogFiles names the control-plane logs, for a failing test to print.
func (c *Cluster) LogFiles() []string {
	return []string{filepath.Join(c.Dir, "etcd.log"), c.apiserver.logPath, c.kcm.logPath}
}

// Kubectl runs kubectl against the cluster as admin and returns its
// combined output.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, "kubectl"),
		append([]string{"--kubeconfig=" + c.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Stop stops fake kubelets (killing workloads, removing cgroups), the
// controller manager, the API server and etcd. Safe to call more than once
// and from several goroutines; every call returns once all is stopped.
func (c *Cluster) Stop() { c.stopOnce.Do(c.stop) }

func (c *Cluster) stop() {
	c.mu.Lock()
	c.stopped = true
	kubelets := c.kubelets
	c.mu.Unlock()

	for _, k := range kubelets {
		k.Stop()
	}
	if c.scheduler != nil {
		c.scheduler.stop()
	}
	if c.kcm != nil {
		c.kcm.stop(5 * time.Second)
	}
	if c.apiserver != nil {
		c.apiserver.stop(10 * time.Second)
	}
	if c.etcd != nil {
		c.etcd.Close()
	}
	removeCgroupRoot(c.CgroupRoot)
	if !c.opts.KeepDir {
		_ = os.RemoveAll(c.Dir)
	}
	liveMu.Lock()
	delete(liveClusters, c)
	liveMu.Unlock()
}

func (c *Cluster) fakeNodes() []*FakeKubelet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*FakeKubelet(nil), c.kubelets...)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

var errStopped = errors.New("stopped")

// ensureNamespace creates a namespace if it does not exist.
func (c *Cluster) ensureNamespace(ctx context.Context, name string) error {
	_, err := c.Client.CoreV1().Namespaces().Create(ctx,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}
