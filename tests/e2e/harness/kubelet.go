package harness

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// KubeletOptions configure a fake kubelet. The zero value is usable.
type KubeletOptions struct {
	// Labels are added to the Node (kubernetes.io/hostname, os and arch are
	// always set).
	Labels map[string]string
	Taints []corev1.Taint
	// NodeIP is the node's InternalIP and the IP of its hostNetwork pods.
	// Default: 127.0.1.<n> for the cluster's n-th kubelet; any loopback
	// address works on Linux, so agents of several nodes can bind apart.
	NodeIP string
	// CgroupRoot is kubelet's --cgroup-root: pods live under
	// <CgroupRoot>/kubepods/... in every hierarchy. Default:
	// <cluster CgroupRoot>/<node name>. "/" gives a real node's layout
	// (/kubepods/...) for one node per machine.
	CgroupRoot string
	// MaxGracePeriod caps terminationGracePeriodSeconds so deletions in
	// tests take seconds, not half a minute. Default 5 s.
	MaxGracePeriod time.Duration
	// RestartDelay is the back-off before a container restarts (kubelet's
	// starts at 10 s). Default 1 s.
	RestartDelay time.Duration
	// Command maps a container to the argv run on this machine. Default:
	// the container's command+args when its first word resolves to an
	// executable here, else "sleep infinity".
	Command func(pod *corev1.Pod, c *corev1.Container) []string
}

// FakeKubelet plays kubelet for one Node: it keeps the Node Ready (status and
// Lease heartbeats), runs the pods bound to it as real processes in kubelet's
// cgroupfs layout, reports their status, and finishes their deletion.
type FakeKubelet struct {
	Name       string
	NodeIP     string
	CgroupRoot string // relative to each hierarchy's mount point

	cluster *Cluster
	opts    KubeletOptions
	layout  *cgroupLayout
	node    *corev1.Node
	ctx     context.Context
	cancel  context.CancelFunc
	bg      sync.WaitGroup
	index   int

	mu       sync.Mutex
	pods     map[types.UID]*podWorker
	nextIP   atomic.Int64
	stopping bool
	stopOnce sync.Once
}

// FakeKubelet registers a Ready node and starts playing its kubelet; on
// error it fails the test of Start (call it from the test's goroutine), or
// panics for a cluster made by New.
func (c *Cluster) FakeKubelet(name string, opts ...KubeletOptions) *FakeKubelet {
	var o KubeletOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	k, err := c.StartKubelet(context.Background(), name, o)
	if err != nil {
		if c.tb != nil {
			c.tb.Helper()
			c.tb.Fatalf("e2e: fake kubelet %s: %v", name, err)
		}
		panic(fmt.Sprintf("e2e: fake kubelet %s: %v", name, err))
	}
	return k
}

// StartKubelet registers a Ready node and starts playing its kubelet.
func (c *Cluster) StartKubelet(ctx context.Context, name string, o KubeletOptions) (*FakeKubelet, error) {
	layout, err := detectCgroupLayout(CgroupFS)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return nil, errStopped
	}
	index := len(c.kubelets) + 1
	c.mu.Unlock()
	if o.NodeIP == "" {
		o.NodeIP = fmt.Sprintf("127.0.1.%d", index)
	}
	if o.CgroupRoot == "" {
		o.CgroupRoot = filepath.Join(c.CgroupRoot, name)
	}
	if o.MaxGracePeriod == 0 {
		o.MaxGracePeriod = 5 * time.Second
	}
	if o.RestartDelay == 0 {
		o.RestartDelay = time.Second
	}
	kctx, cancel := context.WithCancel(context.Background())
	k := &FakeKubelet{
		Name: name, NodeIP: o.NodeIP, CgroupRoot: o.CgroupRoot,
		cluster: c, opts: o, layout: layout, ctx: kctx, cancel: cancel, index: index,
		pods: map[types.UID]*podWorker{},
	}
	if err := layout.create(k.kubepods()); err != nil {
		cancel()
		return nil, fmt.Errorf("create %s: %w", k.kubepods(), err)
	}
	if err := k.register(ctx); err != nil {
		cancel()
		return nil, err
	}
	c.mu.Lock()
	c.kubelets = append(c.kubelets, k)
	c.mu.Unlock()

	k.bg.Add(1)
	go k.heartbeat()
	factory := informers.NewSharedInformerFactoryWithOptions(c.Client, 0,
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) {
			lo.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", name).String()
		}))
	inf := factory.Core().V1().Pods().Informer()
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { k.podChanged(obj.(*corev1.Pod)) },
		UpdateFunc: func(_, obj any) { k.podChanged(obj.(*corev1.Pod)) },
		DeleteFunc: func(obj any) {
			if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = t.Obj
			}
			if p, ok := obj.(*corev1.Pod); ok {
				k.podDeleted(p)
			}
		},
	})
	factory.Start(kctx.Done())
	if c.scheduler != nil {
		c.scheduler.kick()
	}
	return k, nil
}

func (k *FakeKubelet) kubepods() string { return filepath.Join(k.CgroupRoot, "kubepods") }

// PodCgroup is the pod's cgroup path relative to a hierarchy's mount point,
// e.g. /groundtruth-e2e-1a2b/node-1/kubepods/burstable/pod<uid>.
func (k *FakeKubelet) PodCgroup(pod *corev1.Pod) string {
	qos := ""
	switch pod.Status.QOSClass {
	case corev1.PodQOSBurstable:
		qos = "burstable"
	case corev1.PodQOSBestEffort:
		qos = "besteffort"
	}
	return filepath.Join(k.kubepods(), qos, "pod"+string(pod.UID))
}

// CgroupDirs returns the directories of cgroup rel in every hierarchy this
// machine has (v1 controllers, then the unified tree).
func (k *FakeKubelet) CgroupDirs(rel string) []string { return k.layout.dirs(rel) }

// CgroupPids lists the processes in cgroup rel and below.
func (k *FakeKubelet) CgroupPids(rel string) []int { return k.layout.pids(rel) }

func (k *FakeKubelet) register(ctx context.Context) error {
	labels := map[string]string{
		"kubernetes.io/hostname": k.Name,
		"kubernetes.io/os":       "linux",
		"kubernetes.io/arch":     runtime.GOARCH,
	}
	for key, v := range k.opts.Labels {
		labels[key] = v
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity(memTotal(), resource.BinarySI),
		corev1.ResourcePods:             resource.MustParse("110"),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: k.Name, Labels: labels},
		Spec:       corev1.NodeSpec{Taints: k.opts.Taints},
	}
	created, err := k.cluster.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		created, err = k.cluster.Client.CoreV1().Nodes().Get(ctx, k.Name, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("register node %s: %w", k.Name, err)
	}
	now := metav1.Now()
	created.Status = corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
				Message: "fake kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory",
				LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure",
				LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID",
				LastHeartbeatTime: now, LastTransitionTime: now},
		},
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: k.NodeIP},
			{Type: corev1.NodeHostName, Address: k.Name},
		},
		NodeInfo: corev1.NodeSystemInfo{
			KubeletVersion:          KubernetesVersion,
			ContainerRuntimeVersion: "containerd://2.1.0",
			OperatingSystem:         "linux",
			Architecture:            runtime.GOARCH,
			KernelVersion:           kernelRelease(),
			OSImage:                 "groundtruth e2e fake kubelet",
		},
	}
	// The node controllers touch a new Node at once (taints, CIDR): retry on conflict.
	updated, err := k.cluster.Client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{})
	for attempt := 0; apierrors.IsConflict(err) && attempt < 10; attempt++ {
		var cur *corev1.Node
		if cur, err = k.cluster.Client.CoreV1().Nodes().Get(ctx, k.Name, metav1.GetOptions{}); err == nil {
			cur.Status = created.Status
			updated, err = k.cluster.Client.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("node %s status: %w", k.Name, err)
	}
	k.node = updated
	return k.renewLease(ctx)
}

// heartbeat renews the node Lease every 10 s and the Ready condition every
// 40 s, which keeps the node lifecycle controller from tainting the node
// and evicting its pods.
func (k *FakeKubelet) heartbeat() {
	defer k.bg.Done()
	lease := time.NewTicker(10 * time.Second)
	status := time.NewTicker(40 * time.Second)
	defer lease.Stop()
	defer status.Stop()
	for {
		select {
		case <-k.ctx.Done():
			return
		case <-lease.C:
			_ = k.renewLease(k.ctx)
		case <-status.C:
			k.postNodeStatus()
		}
	}
}

func (k *FakeKubelet) renewLease(ctx context.Context) error {
	leases := k.cluster.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	l, err := leases.Get(ctx, k.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name: k.Name,
				OwnerReferences: []metav1.OwnerReference{{
					APIVersion: "v1", Kind: "Node", Name: k.Name, UID: k.node.UID,
				}},
			},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity: ptr.To(k.Name), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &now,
			},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	l.Spec.RenewTime = &now
	_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
	return err
}

func (k *FakeKubelet) postNodeStatus() {
	nodes := k.cluster.Client.CoreV1().Nodes()
	n, err := nodes.Get(k.ctx, k.Name, metav1.GetOptions{})
	if err != nil {
		return
	}
	now := metav1.Now()
	for i := range n.Status.Conditions {
		n.Status.Conditions[i].LastHeartbeatTime = now
	}
	_, _ = nodes.UpdateStatus(k.ctx, n, metav1.UpdateOptions{})
}

// Node returns the Node object as registered.
func (k *FakeKubelet) Node() *corev1.Node { return k.node.DeepCopy() }

func (k *FakeKubelet) podCount() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.pods)
}

func (k *FakeKubelet) podChanged(pod *corev1.Pod) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopping {
		return
	}
	w := k.pods[pod.UID]
	if w == nil {
		if pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			// A pod we never ran (or that finished before we started) only
			// needs its deletion finished.
			if pod.DeletionTimestamp != nil {
				go k.finishDeletion(pod)
			}
			return
		}
		w = newPodWorker(k, pod)
		k.pods[pod.UID] = w
		k.bg.Add(1)
		go func() {
			defer k.bg.Done()
			w.run()
			k.mu.Lock()
			delete(k.pods, pod.UID)
			k.mu.Unlock()
		}()
		return
	}
	w.update(pod)
}

func (k *FakeKubelet) podDeleted(pod *corev1.Pod) {
	k.mu.Lock()
	w := k.pods[pod.UID]
	k.mu.Unlock()
	if w != nil {
		w.terminate(0, false)
	}
}

// finishDeletion is kubelet's last word on a pod: once its containers are
// gone it deletes the object with grace 0, guarded by UID.
func (k *FakeKubelet) finishDeletion(pod *corev1.Pod) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := k.cluster.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		Preconditions:      &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		k.cluster.opts.Logf("e2e: kubelet %s: delete pod %s/%s: %v", k.Name, pod.Namespace, pod.Name, err)
	}
}

// Stop plays a kubelet going away with its machine: heartbeats stop, every
// workload is killed and its cgroups removed. Pods stay in the API, as they
// would until the node lifecycle controller evicts them.
func (k *FakeKubelet) Stop() { k.stopOnce.Do(k.stop) }

func (k *FakeKubelet) stop() {
	k.mu.Lock()
	k.stopping = true
	workers := make([]*podWorker, 0, len(k.pods))
	for _, w := range k.pods {
		workers = append(workers, w)
	}
	k.mu.Unlock()
	k.cancel()
	for _, w := range workers {
		w.terminate(0, false)
	}
	k.bg.Wait()
	_ = k.layout.destroy(k.kubepods())
	if filepath.Clean(k.CgroupRoot) != "/" {
		_ = k.layout.rmdirAll(k.CgroupRoot)
	}
}

func (k *FakeKubelet) allocatePodIP() string {
	n := k.nextIP.Add(1)
	return fmt.Sprintf("127.%d.%d.%d", 100+k.index, n/250, n%250+1)
}

func (k *FakeKubelet) podDir(pod *corev1.Pod) string {
	return filepath.Join(k.cluster.Dir, "pods", k.Name, fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, pod.UID))
}

func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 8 << 30
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "MemTotal:       24608836 kB"
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 8 << 30
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
