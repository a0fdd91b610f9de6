package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podWorker runs one pod: its cgroup, one runner per container, and the
// status writer.
type podWorker struct {
	k      *FakeKubelet
	ns     string
	name   string
	uid    types.UID
	cgroup string
	podIP  string
	dir    string

	mu         sync.Mutex
	pod        *corev1.Pod
	startTime  metav1.Time
	containers []*containerRunner
	terminated bool
	grace      time.Duration
	deleteAPI  bool // finish the API deletion once containers are gone

	stopCh chan struct{} // closed on terminate
	dirty  chan struct{}
}

type containerRunner struct {
	spec   corev1.Container
	status corev1.ContainerStatus // guarded by podWorker.mu
}

func newPodWorker(k *FakeKubelet, pod *corev1.Pod) *podWorker {
	w := &podWorker{
		k:         k,
		ns:        pod.Namespace,
		name:      pod.Name,
		uid:       pod.UID,
		pod:       pod.DeepCopy(),
		cgroup:    k.PodCgroup(pod),
		dir:       k.podDir(pod),
		startTime: metav1.Now(),
		stopCh:    make(chan struct{}),
		dirty:     make(chan struct{}, 1),
	}
	if pod.Spec.HostNetwork {
		w.podIP = k.NodeIP
	} else {
		w.podIP = k.allocatePodIP()
	}
	for _, c := range pod.Spec.Containers {
		w.containers = append(w.containers, &containerRunner{
			spec: c,
			status: corev1.ContainerStatus{
				Name:  c.Name,
				Image: c.Image,
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}},
			},
		})
	}
	return w
}

func (w *podWorker) update(pod *corev1.Pod) {
	w.mu.Lock()
	w.pod = pod.DeepCopy()
	w.mu.Unlock()
	if pod.DeletionTimestamp != nil {
		grace := time.Duration(ptrOr(pod.DeletionGracePeriodSeconds, 30)) * time.Second
		w.terminate(grace, true)
	}
}

// terminate stops the pod's containers (SIGTERM, SIGKILL after grace,
// capped by MaxGracePeriod); deleteAPI finishes the deletion in the API.
func (w *podWorker) terminate(grace time.Duration, deleteAPI bool) {
	if grace > w.k.opts.MaxGracePeriod {
		grace = w.k.opts.MaxGracePeriod
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.terminated {
		return
	}
	w.terminated = true
	w.grace = grace
	w.deleteAPI = deleteAPI
	close(w.stopCh)
}

func (w *podWorker) markDirty() {
	select {
	case w.dirty <- struct{}{}:
	default:
	}
}

func (w *podWorker) run() {
	logf := w.k.cluster.opts.Logf
	pod := w.snapshot()
	if err := os.MkdirAll(w.dir, 0o755); err != nil {
		logf("e2e: kubelet %s: pod %s/%s: %v", w.k.Name, pod.Namespace, pod.Name, err)
	}
	if err := w.k.layout.create(w.cgroup); err != nil {
		logf("e2e: kubelet %s: pod %s/%s: cgroup: %v", w.k.Name, pod.Namespace, pod.Name, err)
	}
	if err := w.k.layout.apply(w.cgroup, podLimits(pod)); err != nil {
		logf("e2e: kubelet %s: pod %s/%s: limits: %v", w.k.Name, pod.Namespace, pod.Name, err)
	}

	statusDone := make(chan struct{})
	statusCtx, stopStatus := context.WithCancel(context.Background())
	go func() {
		defer close(statusDone)
		w.writeStatuses(statusCtx)
	}()

	var wg sync.WaitGroup
	for i := range w.containers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.runContainer(w.containers[i])
		}()
	}
	w.markDirty()
	wg.Wait()
	// Containers that ended on their own (restartPolicy Never/OnFailure)
	// leave the pod running until it is deleted, as kubelet does.
	<-w.stopCh
	_ = w.k.layout.destroy(w.cgroup)

	w.mu.Lock()
	deleteAPI := w.deleteAPI
	w.mu.Unlock()
	if deleteAPI {
		// Post the terminated container states before the object goes.
		w.markDirty()
		time.Sleep(100 * time.Millisecond)
	}
	stopStatus()
	<-statusDone
	if deleteAPI {
		w.k.finishDeletion(pod)
	}
}

func (w *podWorker) snapshot() *corev1.Pod {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod.DeepCopy()
}

// runContainer runs one container until the pod terminates, restarting it
// per the pod's restartPolicy with a fresh container ID each time.
func (w *podWorker) runContainer(c *containerRunner) {
	pod := w.snapshot()
	for attempt := 0; ; attempt++ {
		id := randomHex(32)
		rel := filepath.Join(w.cgroup, id)
		started := metav1.Now()
		exitCode, reason, message := w.runOnce(pod, c, id, rel, attempt)
		finished := metav1.Now()
		_ = w.k.layout.destroy(rel)

		term := &corev1.ContainerStateTerminated{
			ExitCode: exitCode, Reason: reason, Message: message,
			StartedAt: started, FinishedAt: finished, ContainerID: "containerd://" + id,
		}
		stopping := w.isStopping()
		restart := !stopping && shouldRestart(pod.Spec.RestartPolicy, exitCode)
		w.mu.Lock()
		c.status.Ready = false
		c.status.Started = ptrTo(false)
		if restart {
			c.status.LastTerminationState = corev1.ContainerState{Terminated: term}
			c.status.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
				Reason: "CrashLoopBackOff", Message: fmt.Sprintf("back-off restarting failed container %s", c.spec.Name),
			}}
			c.status.RestartCount++
		} else {
			c.status.State = corev1.ContainerState{Terminated: term}
		}
		w.mu.Unlock()
		w.markDirty()
		if !restart {
			return
		}
		select {
		case <-w.stopCh:
			return
		case <-time.After(w.k.opts.RestartDelay):
		}
	}
}

func (w *podWorker) isStopping() bool {
	select {
	case <-w.stopCh:
		return true
	default:
		return false
	}
}

func shouldRestart(policy corev1.RestartPolicy, exitCode int32) bool {
	switch policy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return exitCode != 0
	default:
		return true
	}
}

// runOnce starts the container's process inside its cgroup and waits for
// it to exit or for the pod to terminate. The process joins the cgroups
// before exec (a shell writes its own PID into each cgroup.procs), so
// nothing of the workload ever runs outside them.
func (w *podWorker) runOnce(pod *corev1.Pod, c *containerRunner, id, rel string, attempt int) (int32, string, string) {
	logf := w.k.cluster.opts.Logf
	if err := w.k.layout.create(rel); err != nil {
		return 128, "StartError", err.Error()
	}
	if err := w.k.layout.apply(rel, containerLimits(&c.spec)); err != nil {
		logf("e2e: kubelet %s: %s/%s/%s: limits: %v", w.k.Name, pod.Namespace, pod.Name, c.spec.Name, err)
	}
	argv := w.command(pod, &c.spec)
	logPath := filepath.Join(w.dir, fmt.Sprintf("%s.%d.log", c.spec.Name, attempt))
	logFile, err := os.Create(logPath)
	if err != nil {
		return 128, "StartError", err.Error()
	}
	defer logFile.Close()

	const join = `for f in $GT_E2E_CGROUP_PROCS; do echo $$ > "$f" || exit 126; done; unset GT_E2E_CGROUP_PROCS; exec "$@"`
	cmd := exec.Command("/bin/sh", append([]string{"-c", join, "sh"}, argv...)...)
	cmd.Env = append(w.env(pod, &c.spec), "GT_E2E_CGROUP_PROCS="+strings.Join(w.k.layout.procsFiles(rel), " "))
	cmd.Dir = w.dir
	if wd := c.spec.WorkingDir; wd != "" {
		if st, err := os.Stat(wd); err == nil && st.IsDir() {
			cmd.Dir = wd
		}
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return 128, "StartError", err.Error()
	}
	exited := make(chan error, 1)
	gone := make(chan struct{})
	go func() {
		err := cmd.Wait()
		close(gone)
		exited <- err
	}()
	// Report Running only once the process is inside all its cgroups, so a
	// reader that sees the container ID finds the workload in place.
	waitJoined(w.k.layout.procsFiles(rel), cmd.Process.Pid, gone, 5*time.Second)

	w.mu.Lock()
	c.status.ContainerID = "containerd://" + id
	c.status.ImageID = "sha256:" + randomHexFrom(c.spec.Image)
	c.status.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}
	c.status.Ready = true
	c.status.Started = ptrTo(true)
	w.mu.Unlock()
	w.markDirty()

	var waitErr error
	select {
	case waitErr = <-exited:
	case <-w.stopCh:
		w.mu.Lock()
		grace := w.grace
		w.mu.Unlock()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case waitErr = <-exited:
		case <-time.After(grace):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			waitErr = <-exited
		}
	}
	code := int32(0)
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		code = int32(ee.ExitCode())
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int32(ws.Signal())
		}
	}
	switch {
	case w.k.layout.oomKills(rel) > 0:
		return code, "OOMKilled", ""
	case code == 0:
		return 0, "Completed", ""
	default:
		return code, "Error", ""
	}
}

// command resolves the argv to run for a container on this machine.
func (w *podWorker) command(pod *corev1.Pod, c *corev1.Container) []string {
	if w.k.opts.Command != nil {
		if argv := w.k.opts.Command(pod, c); len(argv) > 0 {
			return argv
		}
	}
	argv := append(append([]string(nil), c.Command...), c.Args...)
	if len(argv) > 0 {
		if _, err := exec.LookPath(argv[0]); err == nil {
			return argv
		}
	}
	return []string{"sleep", "infinity"}
}

// env builds the container's environment: the host's PATH, literal values,
// and the downward-API fields agents and workloads commonly read.
func (w *podWorker) env(pod *corev1.Pod, c *corev1.Container) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOSTNAME=" + pod.Name,
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env = append(env, e.Name+"="+e.Value)
		case e.ValueFrom.FieldRef != nil:
			if v, ok := w.fieldValue(pod, e.ValueFrom.FieldRef.FieldPath); ok {
				env = append(env, e.Name+"="+v)
			}
		}
	}
	return env
}

func (w *podWorker) fieldValue(pod *corev1.Pod, path string) (string, bool) {
	switch path {
	case "metadata.name":
		return pod.Name, true
	case "metadata.namespace":
		return pod.Namespace, true
	case "metadata.uid":
		return string(pod.UID), true
	case "spec.nodeName":
		return w.k.Name, true
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, true
	case "status.podIP":
		return w.podIP, true
	case "status.hostIP":
		return w.k.NodeIP, true
	}
	return "", false
}

// writeStatuses posts the pod status whenever it changes, until ctx ends.
func (w *podWorker) writeStatuses(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			// One last write, so the final container states are visible.
			w.postStatus(context.Background())
			return
		case <-w.dirty:
			w.postStatus(ctx)
		}
	}
}

func (w *podWorker) postStatus(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pods := w.k.cluster.Client.CoreV1().Pods(w.ns)
	for try := 0; try < 5; try++ {
		cur, err := pods.Get(ctx, w.name, metav1.GetOptions{})
		if err != nil || cur.UID != w.uid {
			return
		}
		cur.Status = w.buildStatus(cur)
		_, err = pods.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		if err == nil || apierrors.IsNotFound(err) {
			return
		}
		if ctx.Err() != nil {
			return
		}
		if !apierrors.IsConflict(err) {
			w.k.cluster.opts.Logf("e2e: kubelet %s: status of %s/%s: %v", w.k.Name, cur.Namespace, cur.Name, err)
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// buildStatus derives the pod status from the container states the way
// kubelet's status manager does (phase, the five conditions, IPs).
func (w *podWorker) buildStatus(cur *corev1.Pod) corev1.PodStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := *cur.Status.DeepCopy()
	st.ObservedGeneration = cur.Generation
	st.HostIP = w.k.NodeIP
	st.HostIPs = []corev1.HostIP{{IP: w.k.NodeIP}}
	st.PodIP = w.podIP
	st.PodIPs = []corev1.PodIP{{IP: w.podIP}}
	if st.StartTime == nil {
		st.StartTime = &w.startTime
	}
	st.ContainerStatuses = nil
	allReady, allStarted, allDone, allSucceeded := true, true, true, true
	for _, c := range w.containers {
		cs := *c.status.DeepCopy()
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		if !cs.Ready {
			allReady = false
		}
		if cs.State.Running == nil && cs.State.Terminated == nil && cs.RestartCount == 0 {
			allStarted = false
		}
		if cs.State.Terminated == nil {
			allDone = false
		} else if cs.State.Terminated.ExitCode != 0 {
			allSucceeded = false
		}
	}
	st.InitContainerStatuses = nil
	for _, ic := range cur.Spec.InitContainers {
		st.InitContainerStatuses = append(st.InitContainerStatuses, corev1.ContainerStatus{
			Name: ic.Name, Image: ic.Image, Ready: true,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				ExitCode: 0, Reason: "Completed", StartedAt: w.startTime, FinishedAt: w.startTime,
			}},
		})
	}
	switch {
	case allDone && len(w.containers) > 0:
		st.Phase = corev1.PodFailed
		if allSucceeded {
			st.Phase = corev1.PodSucceeded
		}
	case allStarted:
		st.Phase = corev1.PodRunning
	default:
		st.Phase = corev1.PodPending
	}
	ready := corev1.ConditionFalse
	if allReady && !allDone {
		ready = corev1.ConditionTrue
	}
	setCondition(&st, corev1.PodScheduled, corev1.ConditionTrue)
	setCondition(&st, corev1.PodReadyToStartContainers, corev1.ConditionTrue)
	setCondition(&st, corev1.PodInitialized, corev1.ConditionTrue)
	setCondition(&st, corev1.ContainersReady, ready)
	setCondition(&st, corev1.PodReady, ready)
	return st
}

func setCondition(st *corev1.PodStatus, t corev1.PodConditionType, s corev1.ConditionStatus) {
	now := metav1.Now()
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			if st.Conditions[i].Status != s {
				st.Conditions[i].Status = s
				st.Conditions[i].LastTransitionTime = now
			}
			return
		}
	}
	st.Conditions = append(st.Conditions, corev1.PodCondition{Type: t, Status: s, LastTransitionTime: now})
}

// containerLimits maps a container's resources to cgroup values with
// kubelet's formulas (MilliCPUToQuota, MilliCPUToShares).
func containerLimits(c *corev1.Container) limits {
	var l limits
	if m, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
		l.memoryBytes = m.Value()
	}
	if cpu, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
		l.cpuQuotaUs = cpu.MilliValue() * cpuPeriodUs / 1000
		if l.cpuQuotaUs < 1000 {
			l.cpuQuotaUs = 1000
		}
	}
	l.cpuShares = 2
	if cpu, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
		l.cpuShares = max(2, cpu.MilliValue()*1024/1000)
	} else if cpu, ok := c.Resources.Limits[corev1.ResourceCPU]; ok {
		l.cpuShares = max(2, cpu.MilliValue()*1024/1000)
	}
	return l
}

// podLimits: the pod cgroup is limited only when every container is, to the
// sum of the containers' limits (kubelet's ResourceConfigForPod).
func podLimits(pod *corev1.Pod) limits {
	var sum limits
	memAll, cpuAll := true, true
	for i := range pod.Spec.Containers {
		l := containerLimits(&pod.Spec.Containers[i])
		if l.memoryBytes == 0 {
			memAll = false
		}
		if l.cpuQuotaUs == 0 {
			cpuAll = false
		}
		sum.memoryBytes += l.memoryBytes
		sum.cpuQuotaUs += l.cpuQuotaUs
		sum.cpuShares += l.cpuShares
	}
	if !memAll {
		sum.memoryBytes = 0
	}
	if !cpuAll {
		sum.cpuQuotaUs = 0
	}
	if pod.Status.QOSClass == corev1.PodQOSBestEffort {
		sum.cpuShares = 2
	}
	return sum
}

func ptrTo[T any](v T) *T { return &v }

func ptrOr(p *int64, def int64) int64 {
	if p == nil {
		return def
	}
	return *p
}

// randomHexFrom derives a stable fake image digest from an image name.
func randomHexFrom(s string) string {
	const hexdigits = "0123456789abcdef"
	var h uint64 = 14695981039346656037
	out := make([]byte, 64)
	for i := range out {
		for _, b := range []byte(s) {
			h ^= uint64(b)
			h *= 1099511628211
		}
		h ^= uint64(i)
		h *= 1099511628211
		out[i] = hexdigits[h&15]
	}
	return string(out)
}
