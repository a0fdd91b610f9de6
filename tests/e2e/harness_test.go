package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	"groundtruth/tests/e2e/harness"
)

// TestHarness checks the parts of the harness later suites lean on, on one
// cluster with two fake nodes: the real DaemonSet and StatefulSet
// controllers progress, QoS classes land in kubelet's cgroup paths, exited
// and OOM-killed containers restart with new IDs and kubelet's reasons, a
// service-account kubeconfig carries exactly the RBAC bound to it, and an
// API server restart is survived.
func TestHarness(t *testing.T) {
	c := harness.Start(t)
	n1 := c.FakeKubelet("node-1")
	n2 := c.FakeKubelet("node-2")
	kubelets := map[string]*harness.FakeKubelet{"node-1": n1, "node-2": n2}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ns := "harness"
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, cond func(ctx context.Context) (bool, error)) {
		t.Helper()
		if err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 90*time.Second, true, cond); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	template := func(app string, res corev1.ResourceRequirements, argv ...string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "main", Image: "example/" + app, Command: argv, Resources: res,
			}}},
		}
	}
	selector := func(app string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
	}
	podsOf := func(app string) []corev1.Pod {
		l, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
		if err != nil {
			t.Fatal(err)
		}
		return l.Items
	}

	t.Run("DaemonSet", func(t *testing.T) {
		ds := &appsv1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: ns},
			Spec:       appsv1.DaemonSetSpec{Selector: selector("agent"), Template: template("agent", corev1.ResourceRequirements{})},
		}
		ds.Spec.Template.Spec.HostNetwork = true
		if _, err := c.Client.AppsV1().DaemonSets(ns).Create(ctx, ds, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor("daemonset ready on both nodes", func(ctx context.Context) (bool, error) {
			d, err := c.Client.AppsV1().DaemonSets(ns).Get(ctx, "agent", metav1.GetOptions{})
			return err == nil && d.Status.DesiredNumberScheduled == 2 && d.Status.NumberReady == 2, err
		})
		nodes := map[string]bool{}
		for _, p := range podsOf("agent") {
			nodes[p.Spec.NodeName] = true
			if want := kubelets[p.Spec.NodeName].NodeIP; p.Status.PodIP != want {
				t.Errorf("hostNetwork pod %s: podIP %s, want node IP %s", p.Name, p.Status.PodIP, want)
			}
			if !strings.Contains(n1.PodCgroup(&p), "/kubepods/besteffort/pod") {
				t.Errorf("best-effort pod cgroup %s", n1.PodCgroup(&p))
			}
		}
		if len(nodes) != 2 {
			t.Fatalf("daemonset pods on %v, want one per node", nodes)
		}
	})

	t.Run("StatefulSet", func(t *testing.T) {
		guaranteed := corev1.ResourceRequirements{Limits: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("32Mi"),
		}}
		ss := &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns},
			Spec: appsv1.StatefulSetSpec{
				Replicas: ptr.To[int32](2), Selector: selector("db"), ServiceName: "db",
				Template: template("db", guaranteed, "sleep", "infinity"),
			},
		}
		if _, err := c.Client.AppsV1().StatefulSets(ns).Create(ctx, ss, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor("statefulset readyReplicas=2", func(ctx context.Context) (bool, error) {
			s, err := c.Client.AppsV1().StatefulSets(ns).Get(ctx, "db", metav1.GetOptions{})
			return err == nil && s.Status.ReadyReplicas == 2, err
		})
		for _, p := range podsOf("db") {
			cg := kubelets[p.Spec.NodeName].PodCgroup(&p)
			if p.Status.QOSClass != corev1.PodQOSGuaranteed || !strings.HasSuffix(filepath.Dir(cg), "/kubepods") {
				t.Errorf("guaranteed pod %s: qos %s cgroup %s", p.Name, p.Status.QOSClass, cg)
			}
		}
	})

	t.Run("RestartAndOOMKilled", func(t *testing.T) {
		if _, err := exec.LookPath("python3"); err != nil {
			t.Skip("python3 not on this machine: no memory hog to OOM-kill")
		}
		limit := corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")}}
		for name, argv := range map[string][]string{
			"crasher": {"sh", "-c", "sleep 0.5; exit 3"},
			"hog":     {"python3", "-c", "b = bytearray(256 << 20); import time; time.sleep(60)"},
		} {
			d := &appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
				Spec: appsv1.DeploymentSpec{
					Replicas: ptr.To[int32](1), Selector: selector(name), Template: template(name, limit, argv...),
				},
			}
			if _, err := c.Client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		for name, reason := range map[string]string{"crasher": "Error", "hog": "OOMKilled"} {
			waitFor(name+" restarted with reason "+reason, func(ctx context.Context) (bool, error) {
				for _, p := range podsOf(name) {
					if len(p.Status.ContainerStatuses) != 1 {
						continue
					}
					cs := p.Status.ContainerStatuses[0]
					last := cs.LastTerminationState.Terminated
					if cs.RestartCount >= 1 && last != nil && last.Reason == reason &&
						(cs.ContainerID == "" || cs.ContainerID != last.ContainerID) {
						return true, nil
					}
				}
				return false, nil
			})
		}
	})

	t.Run("ServiceAccountRBAC", func(t *testing.T) {
		manifest := filepath.Join(t.TempDir(), "role.yaml")
		if err := os.WriteFile(manifest, []byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: pod-reader
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
`), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ApplyManifests(ctx, ns, manifest); err != nil {
			t.Fatal(err)
		}
		if err := c.BindClusterRole(ctx, "pod-reader", ns, "reader"); err != nil {
			t.Fatal(err)
		}
		kubeconfig, err := c.ServiceAccountKubeconfig(ctx, ns, "reader", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		client := kubernetes.NewForConfigOrDie(cfg)
		if _, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("bound ClusterRole should allow listing pods: %v", err)
		}
		if _, err := client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Errorf("listing secrets: want Forbidden, got %v", err)
		}
		if out, err := c.Kubectl(ctx, "auth", "can-i", "list", "pods", "--as=system:serviceaccount:"+ns+":reader"); err != nil || strings.TrimSpace(out) != "yes" {
			t.Errorf("kubectl auth can-i: %q %v", out, err)
		}
	})

	t.Run("APIServerRestart", func(t *testing.T) {
		if err := c.RestartAPIServer(ctx); err != nil {
			t.Fatal(err)
		}
		// The controllers and fake kubelets reconnect: a new replica runs.
		if _, err := c.Client.AppsV1().StatefulSets(ns).Patch(ctx, "db", "application/merge-patch+json",
			[]byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor("statefulset readyReplicas=3 after restart", func(ctx context.Context) (bool, error) {
			s, err := c.Client.AppsV1().StatefulSets(ns).Get(ctx, "db", metav1.GetOptions{})
			return err == nil && s.Status.ReadyReplicas == 3, nil
		})
	})
}
