package framework

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
)

// Fate is how a pod on a stand-in node ends.
type Fate int

const (
	// Run keeps the pod running and ready until it is deleted.
	Run Fate = iota
	// Hold leaves the pod Pending, as a kubelet still pulling its image;
	// Resync asks the fates again.
	Hold
	// Succeed ends the pod's containers with exit code 0.
	Succeed
	// Fail ends them with exit code 1.
	Fail
)

// KubeletConfig says which nodes a stand-in kubelet runs.
type KubeletConfig struct {
	// Nodes maps each node's name to its pod CIDR; the kubelet registers
	// the nodes (Ready, with a heartbeat Lease) and removes them at the end.
	Nodes map[string]string
	// Labels are put on the nodes, by node name.
	Labels map[string]map[string]string
	// Fate decides how each pod ends; nil runs every pod until deleted.
	Fate func(*corev1.Pod) Fate
}

// Kubelet stands in for the kubelets of a few nodes, the kwok idea: no
// containers, but the API-visible behaviour of a kubelet. It acts only on
// pods bound to one of its nodes while that Node exists; it gives each pod
// an IP of its own from the node's pod CIDR and marks it Running and Ready
// (or Succeeded or Failed, as its Fate says); it honours graceful deletion:
// a terminating pod stays until its deletionTimestamp, then is deleted with
// a UID precondition, as a kubelet does once the containers have stopped.
type Kubelet struct {
	client kubernetes.Interface
	config KubeletConfig
	nodes  corelisters.NodeLister
	pods   corelisters.PodLister
	queue  workqueue.TypedRateLimitingInterface[string]

	mu     sync.Mutex
	cidrs  map[string]*net.IPNet
	nextIP map[string]int
	failed map[string]bool // pods told to fail, by namespace/name
}

// StartKubelet registers the nodes and runs the stand-in until the test
// ends; then it removes the nodes and their leases.
func StartKubelet(t testing.TB, client kubernetes.Interface, config KubeletConfig) *Kubelet {
	t.Helper()
	k := &Kubelet{client: client, config: config, cidrs: map[string]*net.IPNet{}, nextIP: map[string]int{}, failed: map[string]bool{},
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())}
	ctx, cancel := context.WithCancel(context.Background())
	for name, cidr := range config.Nodes {
		_, ipNet, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatalf("node %s: pod CIDR %q: %v", name, cidr, err)
		}
		k.cidrs[name] = ipNet
		if err := k.register(ctx, name, cidr); err != nil {
			t.Fatalf("registering node %s: %v", name, err)
		}
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	k.nodes = factory.Core().V1().Nodes().Lister()
	podInformer := factory.Core().V1().Pods().Informer()
	k.pods = factory.Core().V1().Pods().Lister()
	enqueue := func(obj interface{}) {
		if pod, ok := obj.(*corev1.Pod); ok && k.cidrs[pod.Spec.NodeName] != nil {
			if key, err := cache.MetaNamespaceKeyFunc(pod); err == nil {
				k.queue.Add(key)
			}
		}
	}
	_, _ = podInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, obj interface{}) { enqueue(obj) },
	})
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())

	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for k.work(ctx) {
		}
	}()
	go func() {
		defer wg.Done()
		wait.Until(func() { k.heartbeat(ctx) }, 5*time.Second, ctx.Done())
	}()
	t.Cleanup(func() {
		cancel()
		k.queue.ShutDown()
		wg.Wait()
		factory.Shutdown()
		for name := range config.Nodes {
			_ = client.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
			_ = client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Delete(context.Background(), name, metav1.DeleteOptions{})
		}
	})
	return k
}

// FailPod makes a running pod fail, as if its container crashed.
func (k *Kubelet) FailPod(namespace, name string) {
	k.mu.Lock()
	k.failed[namespace+"/"+name] = true
	k.mu.Unlock()
	k.queue.Add(namespace + "/" + name)
}

// Resync looks at every pod of the nodes again: for a Fate that changed.
func (k *Kubelet) Resync() {
	pods, _ := k.pods.List(labels.Everything())
	for _, pod := range pods {
		if k.cidrs[pod.Spec.NodeName] != nil {
			k.queue.Add(pod.Namespace + "/" + pod.Name)
		}
	}
}

// hostIP is a node's address: the first address of its pod CIDR.
func hostIP(cidr *net.IPNet) string { return nthIP(cidr, 1) }

func nthIP(cidr *net.IPNet, n int) string {
	ip := cidr.IP.To4()
	v := uint32(ip[0])<<24 | uint32(ip[1])<<16 | uint32(ip[2])<<8 | uint32(ip[3])
	v += uint32(n)
	return net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v)).String()
}

func (k *Kubelet) register(ctx context.Context, name, cidr string) error {
	_, ipNet, _ := net.ParseCIDR(cidr)
	capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("110")}
	now := metav1.Now()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name, corev1.LabelOSStable: "linux"}},
		Spec:       corev1.NodeSpec{PodCIDR: cidr, PodCIDRs: []string{cidr}},
		Status: corev1.NodeStatus{
			Capacity: capacity, Allocatable: capacity,
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: hostIP(ipNet)}, {Type: corev1.NodeHostName, Address: name}},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "stand-in kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now}},
			NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: "v1.37.2-standin", OperatingSystem: "linux", Architecture: "amd64"},
		},
	}
	for l, v := range k.config.Labels[name] {
		node.Labels[l] = v
	}
	if _, err := k.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		return err
	}
	return k.renewLease(ctx, name)
}

// heartbeat renews each node's Lease, so that the node lifecycle
// controller keeps the nodes Ready.
func (k *Kubelet) heartbeat(ctx context.Context) {
	for name := range k.config.Nodes {
		_ = k.renewLease(ctx, name)
	}
}

func (k *Kubelet) renewLease(ctx context.Context, node string) error {
	leases := k.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NowMicro()
	lease, err := leases.Get(ctx, node, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: node},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(node), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &now}}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease.Spec.RenewTime = &now
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}

func (k *Kubelet) work(ctx context.Context) bool {
	key, quit := k.queue.Get()
	if quit {
		return false
	}
	defer k.queue.Done(key)
	after, err := k.sync(ctx, key)
	switch {
	case err != nil && ctx.Err() == nil:
		k.queue.AddRateLimited(key)
	case after > 0:
		k.queue.Forget(key)
		k.queue.AddAfter(key, after)
	default:
		k.queue.Forget(key)
	}
	return true
}

func (k *Kubelet) sync(ctx context.Context, key string) (time.Duration, error) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, err
	}
	pod, err := k.pods.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	cidr := k.cidrs[pod.Spec.NodeName]
	if cidr == nil {
		return 0, nil
	}
	if _, err := k.nodes.Get(pod.Spec.NodeName); err != nil {
		// Not (or no longer) a node: a kubelet without its Node does nothing.
		return 0, nil
	}
	if pod.DeletionTimestamp != nil {
		if left := time.Until(pod.DeletionTimestamp.Time); left > 0 {
			return left, nil
		}
		err := k.client.CoreV1().Pods(namespace).Delete(ctx, name, metav1.DeleteOptions{
			GracePeriodSeconds: ptr.To[int64](0), Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return 0, nil
		}
		return 0, err
	}
	k.mu.Lock()
	fail := k.failed[key]
	k.mu.Unlock()
	fate := Run
	if k.config.Fate != nil {
		fate = k.config.Fate(pod)
	}
	if fail {
		fate = Fail
	}
	status := k.statusFor(pod, cidr, fate)
	if status == nil {
		return 0, nil
	}
	updated := pod.DeepCopy()
	updated.Status = *status
	_, err = k.client.CoreV1().Pods(namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	return 0, err
}

// statusFor is the status the pod should have, or nil when it has it.
func (k *Kubelet) statusFor(pod *corev1.Pod, cidr *net.IPNet, fate Fate) *corev1.PodStatus {
	switch {
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		return nil // finished pods stay as they ended
	case fate == Run && pod.Status.Phase == corev1.PodRunning, fate == Hold:
		return nil
	}
	now := metav1.Now()
	status := pod.Status.DeepCopy()
	if status.PodIP == "" {
		k.mu.Lock()
		k.nextIP[pod.Spec.NodeName]++
		ip := nthIP(cidr, 1+k.nextIP[pod.Spec.NodeName])
		k.mu.Unlock()
		status.PodIP, status.PodIPs = ip, []corev1.PodIP{{IP: ip}}
		status.HostIP, status.HostIPs = hostIP(cidr), []corev1.HostIP{{IP: hostIP(cidr)}}
		status.StartTime = &now
	}
	ready := corev1.ConditionTrue
	status.Phase = corev1.PodRunning
	status.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "standin://" + c.Image,
			ContainerID: fmt.Sprintf("standin://%s-%s", pod.UID, c.Name)}
		switch fate {
		case Run:
			cs.Ready, cs.Started = true, ptr.To(true)
			cs.State.Running = &corev1.ContainerStateRunning{StartedAt: now}
		case Succeed, Fail:
			exit, reason := int32(0), "Completed"
			status.Phase = corev1.PodSucceeded
			if fate == Fail {
				exit, reason = 1, "Error"
				status.Phase = corev1.PodFailed
			}
			cs.Started = ptr.To(false)
			cs.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: exit, Reason: reason, StartedAt: now, FinishedAt: now,
				ContainerID: cs.ContainerID}
			ready = corev1.ConditionFalse
		}
		status.ContainerStatuses = append(status.ContainerStatuses, cs)
	}
	reason := ""
	if ready == corev1.ConditionFalse {
		reason = "PodCompleted"
	}
	for _, t := range []corev1.PodConditionType{corev1.PodInitialized, corev1.PodScheduled, corev1.ContainersReady, corev1.PodReady} {
		s, r := ready, reason
		if t == corev1.PodInitialized || t == corev1.PodScheduled {
			s, r = corev1.ConditionTrue, ""
			if t == corev1.PodInitialized && ready == corev1.ConditionFalse {
				r = "PodCompleted"
			}
		}
		setPodCondition(status, corev1.PodCondition{Type: t, Status: s, Reason: r, LastTransitionTime: now})
	}
	return status
}

func setPodCondition(status *corev1.PodStatus, cond corev1.PodCondition) {
	for i := range status.Conditions {
		if status.Conditions[i].Type == cond.Type {
			if status.Conditions[i].Status == cond.Status {
				cond.LastTransitionTime = status.Conditions[i].LastTransitionTime
			}
			status.Conditions[i] = cond
			return
		}
	}
	status.Conditions = append(status.Conditions, cond)
}
