package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"groundtruth/tests/e2e/harness"
)

var containerIDPattern = regexp.MustCompile(`^containerd://[0-9a-f]{64}$`)

// TestSmoke proves the harness end to end: the real Deployment and
// ReplicaSet controllers create pods, the fake kubelet binds and runs them
// in real cgroups with their limits applied, the Deployment reports them
// ready, kubectl works, and deletion leaves no process or cgroup behind.
func TestSmoke(t *testing.T) {
	began := time.Now()
	c := harness.Start(t)
	t.Logf("cluster started in %s", time.Since(began).Round(time.Millisecond))
	k := c.FakeKubelet("node-1")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	labels := map[string]string{"app": "smoke"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "smoke", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:    "app",
					Image:   "registry.example/sleeper:1",
					Command: []string{"sleep", "infinity"},
					Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{
							corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("32Mi"),
						},
						Limits: corev1.ResourceList{
							corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("64Mi"),
						},
					},
				}}},
			},
		},
	}
	deployments := c.Client.AppsV1().Deployments("default")
	if _, err := deployments.Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}

	// The real Deployment controller reports both replicas ready.
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		d, err := deployments.Get(ctx, "smoke", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return d.Status.ObservedGeneration == d.Generation && d.Status.ReadyReplicas == 2 &&
			d.Status.AvailableReplicas == 2, nil
	})
	if err != nil {
		t.Fatalf("deployment never reported readyReplicas=2: %v", err)
	}
	t.Logf("deployment ready after %s", time.Since(began).Round(time.Millisecond))

	pods, err := c.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=smoke"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 2 {
		t.Fatalf("want 2 pods, got %d", len(pods.Items))
	}
	var cgroups []string
	for _, p := range pods.Items {
		if p.Spec.NodeName != "node-1" || p.Status.Phase != corev1.PodRunning {
			t.Fatalf("pod %s: node %q phase %s", p.Name, p.Spec.NodeName, p.Status.Phase)
		}
		if p.Status.QOSClass != corev1.PodQOSBurstable {
			t.Fatalf("pod %s: qos %s", p.Name, p.Status.QOSClass)
		}
		if len(p.Status.ContainerStatuses) != 1 {
			t.Fatalf("pod %s: %d container statuses", p.Name, len(p.Status.ContainerStatuses))
		}
		cs := p.Status.ContainerStatuses[0]
		if !containerIDPattern.MatchString(cs.ContainerID) || !cs.Ready || cs.State.Running == nil {
			t.Fatalf("pod %s: container status %+v", p.Name, cs)
		}
		id := strings.TrimPrefix(cs.ContainerID, "containerd://")
		rel := filepath.Join(k.PodCgroup(&p), id)
		if !strings.Contains(rel, "/kubepods/burstable/pod"+string(p.UID)+"/") {
			t.Fatalf("pod %s: cgroup %s is not in kubelet's cgroupfs layout", p.Name, rel)
		}
		for _, d := range k.CgroupDirs(rel) {
			if _, err := os.Stat(d); err != nil {
				t.Fatalf("pod %s: %v", p.Name, err)
			}
		}
		pids := k.CgroupPids(rel)
		if len(pids) == 0 {
			t.Fatalf("pod %s: no process in %s", p.Name, rel)
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pids[0]))
		if strings.TrimSpace(string(comm)) != "sleep" {
			t.Fatalf("pod %s: process %d is %q, want sleep", p.Name, pids[0], comm)
		}
		self, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pids[0]))
		if !strings.Contains(string(self), rel) {
			t.Fatalf("pod %s: /proc/%d/cgroup does not name %s:\n%s", p.Name, pids[0], rel, self)
		}
		checkV1Limit(t, "memory", rel, "memory.limit_in_bytes", 64<<20)
		checkV1Limit(t, "cpu", rel, "cpu.cfs_quota_us", 20000)
		cgroups = append(cgroups, k.PodCgroup(&p))
	}

	out, err := c.Kubectl(ctx, "get", "deploy", "smoke", "-o", "jsonpath={.status.readyReplicas}")
	if err != nil || strings.TrimSpace(out) != "2" {
		t.Fatalf("kubectl get deploy: %q %v", out, err)
	}
	if out, err := c.Kubectl(ctx, "get", "deploy"); err != nil || !strings.Contains(out, "smoke") {
		t.Fatalf("kubectl get deploy: %q %v", out, err)
	}

	// Deletion: the garbage collector removes the ReplicaSet and pods, the
	// kubelet kills the processes and removes the cgroups.
	if err := deployments.Delete(ctx, "smoke", metav1.DeleteOptions{
		PropagationPolicy: ptr.To(metav1.DeletePropagationForeground),
	}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := deployments.Get(ctx, "smoke", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return false, nil
		}
		left, err := c.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=smoke"})
		if err != nil || len(left.Items) > 0 {
			return false, nil
		}
		for _, cg := range cgroups {
			for _, d := range k.CgroupDirs(cg) {
				if _, err := os.Stat(d); err == nil {
					return false, nil
				}
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("deployment, pods or cgroups still present after deletion: %v", err)
	}
	t.Logf("smoke test done in %s", time.Since(began).Round(time.Millisecond))
}

func checkV1Limit(t *testing.T, ctrl, rel, file string, want int64) {
	t.Helper()
	dir := filepath.Join(harness.CgroupFS, ctrl)
	if _, err := os.Stat(filepath.Join(harness.CgroupFS, "cgroup.controllers")); err == nil {
		return // v2-only machine: limits are in memory.max / cpu.max instead
	}
	b, err := os.ReadFile(filepath.Join(dir, rel, file))
	if err != nil {
		t.Fatal(err)
	}
	got, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || got != want {
		t.Fatalf("%s/%s: got %q, want %d", rel, file, b, want)
	}
}
