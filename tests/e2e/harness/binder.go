package harness

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

// binder stands in for kube-scheduler: it binds each unscheduled pod to the
// fake node with the fewest pods among those whose labels, fields
// (DaemonSet pods pin metadata.name) and taints the pod accepts. It ignores
// resource requests: every node here is this one machine.
type binder struct {
	c      *Cluster
	cancel context.CancelFunc
	wake   chan struct{}
	done   sync.WaitGroup
}

func startBinder(c *Cluster) *binder {
	ctx, cancel := context.WithCancel(context.Background())
	b := &binder{c: c, cancel: cancel, wake: make(chan struct{}, 1)}
	factory := informers.NewSharedInformerFactoryWithOptions(c.Client, 0,
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) {
			lo.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", "").String()
		}))
	inf := factory.Core().V1().Pods().Informer()
	_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { b.kick() },
		UpdateFunc: func(any, any) { b.kick() },
	})
	factory.Start(ctx.Done())
	b.done.Add(1)
	go func() {
		defer b.done.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-b.wake:
			case <-tick.C:
			}
			for _, obj := range inf.GetStore().List() {
				b.bind(ctx, obj.(*corev1.Pod))
			}
		}
	}()
	return b
}

func (b *binder) kick() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *binder) stop() {
	b.cancel()
	b.done.Wait()
}

func (b *binder) bind(ctx context.Context, pod *corev1.Pod) {
	if pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil {
		return
	}
	if s := pod.Spec.SchedulerName; s != "" && s != corev1.DefaultSchedulerName {
		return
	}
	affinity := nodeaffinity.GetRequiredNodeAffinity(pod)
	var best *FakeKubelet
	for _, k := range b.c.fakeNodes() {
		node := k.node
		if ok, _ := affinity.Match(node); !ok {
			continue
		}
		if _, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), node.Spec.Taints,
			pod.Spec.Tolerations, func(t *corev1.Taint) bool {
				return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
			}, false); untolerated {
			continue
		}
		if best == nil || k.podCount() < best.podCount() {
			best = k
		}
	}
	if best == nil {
		return
	}
	err := b.c.Client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: best.Name},
	}, metav1.CreateOptions{})
	if err != nil && ctx.Err() == nil {
		b.c.opts.Logf("e2e: bind %s/%s to %s: %v", pod.Namespace, pod.Name, best.Name, err)
	}
}
