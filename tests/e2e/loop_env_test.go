package e2e

// The cluster loop's environment: manifests/base applied to the real API
// server (its RBAC, its agent DaemonSet), the agent pods run by fake kubelets
// as the real `groundtruth agent` (each reading only its node's cgroup
// subtree, listening on its pod IP), and `groundtruth controller` run as a
// host process with a service-account token bound to exactly the RBAC that
// manifests/base ships.

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"groundtruth/tests/e2e/harness"
)

const (
	loopNS         = controllerNS // the controller's Lease and service account
	loopAgentNS    = agentNS      // the agents' pods
	loopAppNS      = "loop"
	conditionType  = "RuntimeCompliant"
	verdictKey     = "groundtruth.dev/runtime-compliant"
	agentPort      = 9443
	agentProbePort = 9444                // the DaemonSet's plain /healthz port (--probe-listen)
	agentName      = "groundtruth-agent" // the name agents' certificates carry
	gitopsLabel    = "app.kubernetes.io/instance"
	badAgentNode   = "node-3" // its agent is a Go stand-in whose behaviour the test switches
	realAgentLabel = "e2e.groundtruth.dev/real-agent"
)

// The suite's policy: every window scaled so the longest is 20 s, and data
// older than 15 s counts as missing, so NoData shows in seconds, not minutes.
const loopPolicy = `window: 20s
rules:
  observation:
    max-age: 15s
`

type loopEnv struct {
	t          *testing.T
	c          *harness.Cluster
	gt         string
	examples   string // directory of the example workloads
	dir        string
	kubeconfig string // the controller's: manifests/base's RBAC only
	policy     string
	timing     loopTiming
	agentCA    *harness.CA
	agentCert  harness.KeyPair // agents' serving+client certificate from agentCA
	ctlCert    harness.KeyPair // the controller's client certificate from agentCA
	rogueCert  harness.KeyPair // right name, wrong CA (the cluster's)
	nodes      map[string]*harness.FakeKubelet
	bad        *badAgent
	ctlSeq     atomic.Int32
}

// loopTiming is what the loop runs on: the policy file's text and the agent's
// and controller's periods.
type loopTiming struct {
	policy             string
	agentInterval      string
	controllerInterval string
}

// suiteTiming is the pass/fail suite's: short windows and periods.
var suiteTiming = loopTiming{policy: loopPolicy, agentInterval: "1s", controllerInterval: "2s"}

// startLoop brings up the cluster with three nodes: node-1 and node-2 run the
// real agent, node-3 a stand-in.
func startLoop(t *testing.T) *loopEnv { return startLoopWith(t, suiteTiming) }

func startLoopWith(t *testing.T, timing loopTiming) *loopEnv {
	c := harness.Start(t)
	e := &loopEnv{t: t, c: c, gt: harness.GroundtruthBinary(t), dir: c.Dir, nodes: map[string]*harness.FakeKubelet{}, timing: timing}
	e.examples = filepath.Join(os.Getenv("GT_BUILD_DIR"), "examples")
	if _, err := os.Stat(filepath.Join(e.examples, "thrash")); err != nil {
		t.Skipf("e2e: example workloads not built in %s (GT_BUILD_DIR)", e.examples)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	pki := filepath.Join(e.dir, "agent-pki")
	if err := os.MkdirAll(pki, 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.agentCA, err = harness.NewCA(pki, "groundtruth-agents-e2e"); err != nil {
		t.Fatal(err)
	}
	if e.agentCert, err = e.agentCA.PeerCert(pki, "agent", []string{agentName}, nil); err != nil {
		t.Fatal(err)
	}
	if e.ctlCert, err = e.agentCA.PeerCert(pki, "controller", []string{"groundtruth-controller"}, nil); err != nil {
		t.Fatal(err)
	}
	if e.rogueCert, err = c.CA.PeerCert(pki, "rogue-agent", []string{agentName}, nil); err != nil {
		t.Fatal(err)
	}
	e.policy = filepath.Join(e.dir, "policy.yaml")
	if err := os.WriteFile(e.policy, []byte(timing.policy), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, name := range []string{"node-1", "node-2", badAgentNode} {
		labels := map[string]string{}
		if name != badAgentNode {
			labels[realAgentLabel] = "true"
		}
		root := filepath.Join(c.CgroupRoot, name)
		e.nodes[name] = c.FakeKubelet(name, harness.KubeletOptions{
			CgroupRoot: root, Labels: labels, Command: e.agentCommand(name, root),
		})
	}

	// manifests/base as shipped, through a test overlay that only gives the
	// agent its pod IP (all pods share this machine's network namespace, so
	// each agent binds its own loopback address) and leaves the controller
	// Deployment at zero replicas: the test runs the controller itself.
	overlay := filepath.Join(e.dir, "overlay")
	base, _ := filepath.Abs(filepath.Join("..", "..", "manifests", "base"))
	rel, err := filepath.Rel(overlay, base)
	if err != nil {
		t.Fatal(err)
	}
	kustomization := fmt.Sprintf(`resources:
  - %s
patches:
  - target: {kind: DaemonSet, name: groundtruth-agent}
    patch: |
      - op: add
        path: /spec/template/spec/containers/0/env/-
        value: {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
  - target: {kind: Deployment, name: groundtruth-controller}
    patch: |
      - op: replace
        path: /spec/replicas
        value: 0
`, rel)
	if err := os.MkdirAll(overlay, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ApplyKustomization(ctx, loopNS, overlay); err != nil {
		t.Fatalf("apply manifests/base: %v", err)
	}
	// A token for the controller's service account: the RBAC of
	// manifests/base (ClusterRole + Role and their bindings) and nothing else.
	if e.kubeconfig, err = c.ServiceAccountKubeconfig(ctx, loopNS, "groundtruth-controller", 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	e.waitFor(ctx, "agent DaemonSet ready on 3 nodes", 90*time.Second, func(ctx context.Context) (bool, error) {
		ds, err := c.Client.AppsV1().DaemonSets(loopAgentNS).Get(ctx, "groundtruth-agent", metav1.GetOptions{})
		return err == nil && ds.Status.DesiredNumberScheduled == 3 && ds.Status.NumberReady == 3, nil
	})
	for _, name := range []string{"node-1", "node-2"} {
		e.waitAgentServing(ctx, name)
	}
	ip := e.agentPod(ctx, badAgentNode).Status.PodIP
	if e.bad, err = startBadAgent(net.JoinHostPort(ip, fmt.Sprint(agentPort)), e); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.bad.close)
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: loopAppNS}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *loopEnv) stopFile(node string) string { return filepath.Join(e.dir, "agent-down-"+node) }

// agentCommand maps the DaemonSet's agent container to the binary under test,
// with the shipped flags re-pointed at this machine: the node's cgroup
// subtree, the test's certificates, a 1 s interval. While the node's stop
// file exists the container waits instead (the test's "agent down").
func (e *loopEnv) agentCommand(node, root string) func(*corev1.Pod, *corev1.Container) []string {
	return func(p *corev1.Pod, ctr *corev1.Container) []string {
		if ctr.Name != "agent" {
			return nil
		}
		if node == badAgentNode {
			return []string{"sleep", "infinity"}
		}
		var args []string
		for _, a := range ctr.Args {
			switch {
			case strings.HasPrefix(a, "--listen="), strings.HasPrefix(a, "--probe-listen="),
				strings.HasPrefix(a, "--interval="),
				strings.HasPrefix(a, "--host-proc="), strings.HasPrefix(a, "--host-sys="),
				strings.HasPrefix(a, "--tls-"):
				continue
			}
			args = append(args, shellQuote(a))
		}
		script := fmt.Sprintf(`while [ -e %s ]; do sleep 0.2; done; exec %s %s --listen="$POD_IP:%d" --probe-listen="$POD_IP:%d" --interval=%s --kubepods-cgroup=%s --tls-ca=%s --tls-cert=%s --tls-key=%s`,
			shellQuote(e.stopFile(node)), shellQuote(e.gt), strings.Join(args, " "), agentPort, agentProbePort, e.timing.agentInterval,
			shellQuote(filepath.Join(root, "kubepods")), shellQuote(e.agentCA.CertFile),
			shellQuote(e.agentCert.CertFile), shellQuote(e.agentCert.KeyFile))
		return []string{"/bin/sh", "-c", script}
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (e *loopEnv) agentPod(ctx context.Context, node string) *corev1.Pod {
	e.t.Helper()
	l, err := e.c.Client.CoreV1().Pods(loopAgentNS).List(ctx, metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/name=groundtruth-agent", FieldSelector: "spec.nodeName=" + node,
	})
	if err != nil || len(l.Items) != 1 {
		e.t.Fatalf("agent pod on %s: %v (%d pods)", node, err, len(l.Items))
	}
	return &l.Items[0]
}

// agentClient speaks mTLS to agents as the controller does.
func (e *loopEnv) agentClient(cert *harness.KeyPair) *http.Client {
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(e.agentCA.CertFile)
	pool.AppendCertsFromPEM(pem)
	cfg := &tls.Config{RootCAs: pool, ServerName: agentName}
	if cert != nil {
		kp, err := tls.LoadX509KeyPair(cert.CertFile, cert.KeyFile)
		if err != nil {
			e.t.Fatal(err)
		}
		// Sent whatever CA the agent asks for, so the agent itself must refuse it.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &kp, nil }
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

func (e *loopEnv) agentURL(ctx context.Context, node, path string) string {
	return fmt.Sprintf("https://%s%s", net.JoinHostPort(e.agentPod(ctx, node).Status.PodIP, fmt.Sprint(agentPort)), path)
}

func (e *loopEnv) waitAgentServing(ctx context.Context, node string) {
	e.t.Helper()
	client := e.agentClient(&e.ctlCert)
	e.waitFor(ctx, "agent on "+node+" serving samples", 60*time.Second, func(ctx context.Context) (bool, error) {
		resp, err := client.Get(e.agentURL(ctx, node, "/v1/samples?since=0"))
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

// stopAgent keeps node's agent down: the stop file holds the restarted
// container in its wait loop, and the running agent is killed.
func (e *loopEnv) stopAgent(ctx context.Context, node string) {
	e.t.Helper()
	if err := os.WriteFile(e.stopFile(node), nil, 0o644); err != nil {
		e.t.Fatal(err)
	}
	k := e.nodes[node]
	for _, pid := range k.CgroupPids(k.PodCgroup(e.agentPod(ctx, node))) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

func (e *loopEnv) startAgent(ctx context.Context, node string) {
	e.t.Helper()
	_ = os.Remove(e.stopFile(node))
	e.waitAgentServing(ctx, node)
}

func (e *loopEnv) waitFor(ctx context.Context, what string, timeout time.Duration, cond wait.ConditionWithContextFunc) {
	e.t.Helper()
	if err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, cond); err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

// controllerProc is one `groundtruth controller` process.
type controllerProc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startController runs the controller as manifests/base would, but with the
// service-account kubeconfig instead of in-cluster config.
func (e *loopEnv) startController(extra ...string) *controllerProc {
	e.t.Helper()
	n := e.ctlSeq.Add(1)
	p := &controllerProc{name: fmt.Sprintf("controller-%d", n), log: filepath.Join(e.dir, fmt.Sprintf("controller-%d.log", n)), done: make(chan struct{})}
	metrics := "--metrics-bind-address=0"
	for _, a := range extra {
		if strings.HasPrefix(a, "--metrics-bind-address=") {
			metrics = a // a test that reads /metrics names its own address
		}
	}
	extra = slices.DeleteFunc(slices.Clone(extra), func(a string) bool { return strings.HasPrefix(a, "--metrics-bind-address=") })
	args := append([]string{"controller",
		"--kubeconfig=" + e.kubeconfig,
		"--agent-namespace=" + loopAgentNS,
		"--leader-election-namespace=" + loopNS,
		"--agent-ca=" + e.agentCA.CertFile,
		"--tls-cert=" + e.ctlCert.CertFile,
		"--tls-key=" + e.ctlCert.KeyFile,
		fmt.Sprintf("--agent-port=%d", agentPort),
		metrics,
		"--health-probe-bind-address=0",
		"--interval=" + e.timing.controllerInterval,
		"--scrape-timeout=1s",
		"--config=" + e.policy,
	}, extra...)
	f, err := os.Create(p.log)
	if err != nil {
		e.t.Fatal(err)
	}
	p.cmd = exec.Command(e.gt, args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	e.t.Cleanup(func() { p.stop(syscall.SIGKILL) })
	e.t.Logf("%s started (pid %d), log %s", p.name, p.cmd.Process.Pid, p.log)
	return p
}

func (p *controllerProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop signals the controller and waits for it (SIGKILL after 10 s).
func (p *controllerProc) stop(sig syscall.Signal) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *controllerProc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// logLines returns the log lines containing every one of the words.
func (p *controllerProc) logLines(words ...string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(p.logText()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
next:
	for sc.Scan() {
		for _, w := range words {
			if !strings.Contains(sc.Text(), w) {
				continue next
			}
		}
		out = append(out, sc.Text())
	}
	return out
}

// verdict is what a workload carries: the condition and its mirror.
type verdict struct {
	Present             bool
	Status, Reason, Msg string
	LastTransition      time.Time
	Annotation          string
	Generation          int64
	ResourceVersion     string
	ManagedByGT         []string // managedFields entries of manager groundtruth: "operation/subresource@time"
}

func (v verdict) String() string {
	if !v.Present {
		return fmt.Sprintf("no condition (annotation %q, generation %d)", v.Annotation, v.Generation)
	}
	return fmt.Sprintf("%s/%s (annotation %q, generation %d): %s", v.Status, v.Reason, v.Annotation, v.Generation, v.Msg)
}

// annotationGeneration is the generation the mirror annotation vouches for.
func (v verdict) annotationGeneration() int64 {
	var g int64
	if i := strings.LastIndex(v.Annotation, "/"); i >= 0 {
		_, _ = fmt.Sscan(v.Annotation[i+1:], &g)
	}
	return g
}

func (v verdict) is(status, reason string) bool {
	return v.Present && v.Status == status && (reason == "" || v.Reason == reason)
}

func verdictOf(obj metav1.Object, conds func(add func(t, s, r, m string, ltt metav1.Time))) verdict {
	v := verdict{Annotation: obj.GetAnnotations()[verdictKey], Generation: obj.GetGeneration(), ResourceVersion: obj.GetResourceVersion()}
	conds(func(t, s, r, m string, ltt metav1.Time) {
		if t == conditionType {
			v.Present, v.Status, v.Reason, v.Msg, v.LastTransition = true, s, r, m, ltt.Time
		}
	})
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager == "groundtruth" {
			at := ""
			if mf.Time != nil {
				at = mf.Time.UTC().Format(time.RFC3339)
			}
			v.ManagedByGT = append(v.ManagedByGT, fmt.Sprintf("%s/%s@%s", mf.Operation, mf.Subresource, at))
		}
	}
	return v
}

func deploymentVerdict(d *appsv1.Deployment) verdict {
	return verdictOf(d, func(add func(t, s, r, m string, ltt metav1.Time)) {
		for _, c := range d.Status.Conditions {
			add(string(c.Type), string(c.Status), c.Reason, c.Message, c.LastTransitionTime)
		}
	})
}

func statefulSetVerdict(s *appsv1.StatefulSet) verdict {
	return verdictOf(s, func(add func(t, s, r, m string, ltt metav1.Time)) {
		for _, c := range s.Status.Conditions {
			add(string(c.Type), string(c.Status), c.Reason, c.Message, c.LastTransitionTime)
		}
	})
}

func daemonSetVerdict(d *appsv1.DaemonSet) verdict {
	return verdictOf(d, func(add func(t, s, r, m string, ltt metav1.Time)) {
		for _, c := range d.Status.Conditions {
			add(string(c.Type), string(c.Status), c.Reason, c.Message, c.LastTransitionTime)
		}
	})
}

// get reads the verdict of a workload ("deploy", "sts" or "ds").
func (e *loopEnv) get(ctx context.Context, kind, name string) (verdict, error) {
	apps := e.c.Client.AppsV1()
	switch kind {
	case "deploy":
		d, err := apps.Deployments(loopAppNS).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return verdict{}, err
		}
		return deploymentVerdict(d), nil
	case "sts":
		s, err := apps.StatefulSets(loopAppNS).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return verdict{}, err
		}
		return statefulSetVerdict(s), nil
	case "ds":
		d, err := apps.DaemonSets(loopAppNS).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return verdict{}, err
		}
		return daemonSetVerdict(d), nil
	}
	return verdict{}, fmt.Errorf("unknown kind %q", kind)
}

// waitVerdict polls until pred holds and returns the verdict that satisfied it.
func (e *loopEnv) waitVerdict(ctx context.Context, kind, name string, timeout time.Duration, what string, pred func(verdict) bool) verdict {
	e.t.Helper()
	var last verdict
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		v, err := e.get(ctx, kind, name)
		if err != nil {
			return false, nil
		}
		last = v
		return pred(v), nil
	})
	if err != nil {
		e.t.Fatalf("%s %s: never %s within %s; last: %s", kind, name, what, timeout, last)
	}
	return last
}

// recorder keeps every verdict a workload showed, from a watch, so a test
// can assert what never happened (False without data) or what came first.
type recorder struct {
	mu   sync.Mutex
	seen []timedVerdict
}

type timedVerdict struct {
	at  time.Time
	v   verdict
	obj any // the object as the watch delivered it
}

func (r *recorder) snapshot() []timedVerdict {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]timedVerdict(nil), r.seen...)
}

// record watches one workload until ctx ends; re-watches after disconnects
// (the API server restart) from the last version seen.
func (e *loopEnv) record(ctx context.Context, kind, name string) *recorder {
	r := &recorder{}
	go func() {
		rv := ""
		for ctx.Err() == nil {
			opts := metav1.ListOptions{FieldSelector: "metadata.name=" + name, ResourceVersion: rv}
			apps := e.c.Client.AppsV1()
			var w watch.Interface
			var err error
			switch kind {
			case "deploy":
				w, err = apps.Deployments(loopAppNS).Watch(ctx, opts)
			case "sts":
				w, err = apps.StatefulSets(loopAppNS).Watch(ctx, opts)
			default:
				w, err = apps.DaemonSets(loopAppNS).Watch(ctx, opts)
			}
			if err != nil {
				rv = ""
				select {
				case <-ctx.Done():
				case <-time.After(500 * time.Millisecond):
				}
				continue
			}
			for ev := range w.ResultChan() {
				var v verdict
				switch o := ev.Object.(type) {
				case *appsv1.Deployment:
					v = deploymentVerdict(o)
					o.APIVersion, o.Kind = "apps/v1", "Deployment"
				case *appsv1.StatefulSet:
					v = statefulSetVerdict(o)
					o.APIVersion, o.Kind = "apps/v1", "StatefulSet"
				case *appsv1.DaemonSet:
					v = daemonSetVerdict(o)
					o.APIVersion, o.Kind = "apps/v1", "DaemonSet"
				default: // an error (410): list again
					rv = ""
					continue
				}
				r.mu.Lock()
				r.seen = append(r.seen, timedVerdict{time.Now(), v, ev.Object})
				r.mu.Unlock()
				rv = v.ResourceVersion
			}
			w.Stop()
		}
	}()
	return r
}

func podTemplate(app string, ctr corev1.Container) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			Containers:                    []corev1.Container{ctr},
			TerminationGracePeriodSeconds: ptr.To[int64](1),
		},
	}
}

func sleeper(name string) corev1.Container {
	return corev1.Container{
		Name: name, Image: "example/" + name, Command: []string{"sleep", "infinity"},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")},
		},
	}
}

func gitopsMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: loopAppNS, Labels: map[string]string{gitopsLabel: "e2e-loop", "app": name}}
}

func deployment(name string, replicas int32, tmpl corev1.PodTemplateSpec, node string) *appsv1.Deployment {
	if node != "" {
		tmpl.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": node}
	}
	return &appsv1.Deployment{
		ObjectMeta: gitopsMeta(name),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: tmpl,
		},
	}
}

// capture writes live objects for tests/health (GT_CAPTURE=1).
func (e *loopEnv) capture(ctx context.Context, file string, obj any) {
	if os.Getenv("GT_CAPTURE") != "1" {
		return
	}
	dir := filepath.Join("..", "health", "testdata", "captured")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.t.Logf("capture: %v", err)
		return
	}
	b, err := json.MarshalIndent(obj, "", "  ")
	if err != nil {
		e.t.Logf("capture: %v", err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, file), append(b, '\n'), 0o644); err != nil {
		e.t.Logf("capture: %v", err)
	}
}

// thrashTemplate is the memory-thrash example as a pod template: 40 MiB anonymous plus a
// 40 MiB file re-read under a 64 MiB limit (examples/memory-thrash), its data in dataDir.
func thrashTemplate(examples, dataDir string) corev1.PodTemplateSpec {
	return podTemplate("memory-thrash", corev1.Container{
		Name: "thrash", Image: "example/thrash:1.0",
		Command: []string{examples + "/thrash", dataDir},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
		},
	})
}
