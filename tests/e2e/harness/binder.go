package harness

import (
	"context"
	"os"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	listerscorev1 "k8s.io/client-go/listers/core/v1"
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
	nodes  listerscorev1.NodeLister
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
	// Taints change after registration (the node lifecycle controller
	// taints a node not-ready until its first Ready status), so the binder
	// reads nodes as they are now.
	nodeFactory := informers.NewSharedInformerFactory(c.Client, 0)
	b.nodes = nodeFactory.Core().V1().Nodes().Lister()
	_, _ = nodeFactory.Core().V1().Nodes().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(any, any) { b.kick() },
	})
	factory.Start(ctx.Done())
	nodeFactory.Start(ctx.Done())
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
		node, err := b.nodes.Get(k.Name)
		if err != nil {
			continue
		}
		if ok, err := affinity.Match(node); !ok {
			if os.Getenv("GT_E2E_DEBUG") != "" {
				b.c.opts.Logf("e2e: binder: %s/%s: node %s does not match: %v", pod.Namespace, pod.Name, k.Name, err)
			}
			continue
		}
		if _, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), node.Spec.Taints,
			pod.Spec.Tolerations, func(t *corev1.Taint) bool {
				return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
			}, false); untolerated {
			if os.Getenv("GT_E2E_DEBUG") != "" {
				b.c.opts.Logf("e2e: binder: %s/%s: node %s tainted", pod.Namespace, pod.Name, k.Name)
			}
			continue
		}
		if best == nil || k.podCount() < best.podCount() {
			best = k
		}
	}
	if best == nil {
		if os.Getenv("GT_E2E_DEBUG") != "" {
			b.c.opts.Logf("e2e: binder: no fake node fits %s/%s (%d nodes)", pod.Namespace, pod.Name, len(b.c.fakeNodes()))
		}
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
