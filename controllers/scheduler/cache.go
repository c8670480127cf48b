package scheduler

import (
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
	resourcehelper "k8s.io/component-helpers/resource"
)

// resources are the amounts the scheduler counts on a node.
type resources struct {
	milliCPU, memory, ephemeralStorage int64
	pods                               int64
	scalar                             map[corev1.ResourceName]int64 // extended resources
}

func (r *resources) add(o resources, sign int64) {
	r.milliCPU += sign * o.milliCPU
	r.memory += sign * o.memory
	r.ephemeralStorage += sign * o.ephemeralStorage
	r.pods += sign * o.pods
	for name, v := range o.scalar {
		if r.scalar == nil {
			r.scalar = map[corev1.ResourceName]int64{}
		}
		r.scalar[name] += sign * v
	}
}

// fromList reads a resource list (a node's allocatable, a pod's requests).
func fromList(list corev1.ResourceList) resources {
	var r resources
	for name, q := range list {
		switch name {
		case corev1.ResourceCPU:
			r.milliCPU = q.MilliValue()
		case corev1.ResourceMemory:
			r.memory = q.Value()
		case corev1.ResourceEphemeralStorage:
			r.ephemeralStorage = q.Value()
		case corev1.ResourcePods:
			r.pods = q.Value()
		default:
			if r.scalar == nil {
				r.scalar = map[corev1.ResourceName]int64{}
			}
			r.scalar[name] = q.Value()
		}
	}
	return r
}

// Defaults the scorers assume for a container that requests nothing, as
// upstream: otherwise such pods would all pile onto one node.
const (
	defaultMilliCPURequest = 100
	defaultMemoryRequest   = 200 * 1024 * 1024
)

// podInfo is what scheduling needs of a pod, computed once.
type podInfo struct {
	pod      *corev1.Pod
	requests resources // what the pod asks for (filtering)
	nonZero  resources // requests with defaults for unset cpu/memory (scoring)
	ports    []hostPort
}

type hostPort struct {
	protocol corev1.Protocol
	ip       string
	port     int32
}

func newPodInfo(pod *corev1.Pod) *podInfo {
	requests := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
	info := &podInfo{pod: pod, requests: fromList(requests)}
	info.requests.pods = 1
	info.nonZero = resources{milliCPU: info.requests.milliCPU, memory: info.requests.memory, pods: 1}
	nonZero := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{
		NonMissingContainerRequests: corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewMilliQuantity(defaultMilliCPURequest, resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity(defaultMemoryRequest, resource.BinarySI),
		}})
	info.nonZero.milliCPU = nonZero.Cpu().MilliValue()
	info.nonZero.memory = nonZero.Memory().Value()
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort > 0 {
				protocol := p.Protocol
				if protocol == "" {
					protocol = corev1.ProtocolTCP
				}
				ip := p.HostIP
				if ip == "" {
					ip = "0.0.0.0"
				}
				info.ports = append(info.ports, hostPort{protocol: protocol, ip: ip, port: p.HostPort})
			}
		}
	}
	return info
}

// nodeInfo is one node with the pods bound or assumed to it.
type nodeInfo struct {
	node        *corev1.Node
	allocatable resources
	requested   resources
	nonZero     resources
	pods        map[types.UID]*podInfo
	// affinityPods counts pods here with required anti-affinity terms,
	// so that pods without affinity skip that work everywhere.
	antiAffinityPods int
}

func (n *nodeInfo) addPod(p *podInfo, sign int64) {
	n.requested.add(p.requests, sign)
	n.nonZero.add(p.nonZero, sign)
	if hasRequiredAntiAffinity(p.pod) {
		n.antiAffinityPods += int(sign)
	}
}

// nodeCache holds the cluster as the scheduler sees it: nodes and the pods on
// them, including pods it has assumed onto a node before their binding
// shows in the informer, so that pods scheduled back to back count each
// other's requests.
type nodeCache struct {
	mu      sync.RWMutex
	nodes   map[string]*nodeInfo
	podNode map[types.UID]string // where each counted pod is
	assumed map[types.UID]bool
	// list is the nodes in name order, rebuilt when nodes come or go.
	list      []*nodeInfo
	listDirty bool
}

func newCache() *nodeCache {
	return &nodeCache{nodes: map[string]*nodeInfo{}, podNode: map[types.UID]string{}, assumed: map[types.UID]bool{}}
}

func (c *nodeCache) nodeInfoLocked(name string) *nodeInfo {
	n := c.nodes[name]
	if n == nil {
		n = &nodeInfo{pods: map[types.UID]*podInfo{}}
		c.nodes[name] = n
	}
	return n
}

// setNode adds or updates a node.
func (c *nodeCache) setNode(node *corev1.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodeInfoLocked(node.Name)
	if n.node == nil {
		c.listDirty = true
	}
	n.node = node
	list := node.Status.Allocatable
	if len(list) == 0 {
		list = node.Status.Capacity
	}
	n.allocatable = fromList(list)
}

func (c *nodeCache) removeNode(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[name]
	if n == nil {
		return
	}
	n.node = nil
	if len(n.pods) == 0 {
		delete(c.nodes, name)
	}
	c.listDirty = true
}

// addPod counts a bound pod on its node (replacing its assumption, if
// any); finished pods count nowhere.
func (c *nodeCache) addPod(pod *corev1.Pod) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removePodLocked(pod.UID)
	if pod.Spec.NodeName == "" || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return
	}
	c.placeLocked(newPodInfo(pod), pod.Spec.NodeName)
}

func (c *nodeCache) placeLocked(p *podInfo, nodeName string) {
	n := c.nodeInfoLocked(nodeName)
	n.pods[p.pod.UID] = p
	n.addPod(p, 1)
	c.podNode[p.pod.UID] = nodeName
}

func (c *nodeCache) removePod(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removePodLocked(uid)
}

func (c *nodeCache) removePodLocked(uid types.UID) {
	name, ok := c.podNode[uid]
	if !ok {
		return
	}
	delete(c.podNode, uid)
	delete(c.assumed, uid)
	n := c.nodes[name]
	if p := n.pods[uid]; p != nil {
		n.addPod(p, -1)
		delete(n.pods, uid)
	}
	if n.node == nil && len(n.pods) == 0 {
		delete(c.nodes, name)
	}
}

// assume counts a pod on the node chosen for it before the binding is
// written.
func (c *nodeCache) assume(p *podInfo, nodeName string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removePodLocked(p.pod.UID)
	c.placeLocked(p, nodeName)
	c.assumed[p.pod.UID] = true
}

// forget drops an assumption whose binding failed.
func (c *nodeCache) forget(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.assumed[uid] {
		c.removePodLocked(uid)
	}
}

// isAssumed: the pod was placed by this scheduler and its binding is not
// yet seen.
func (c *nodeCache) isAssumed(uid types.UID) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.assumed[uid]
}

// withNodes calls fn with the nodes in name order under the read lock: the
// node infos are the cache's own, not copies, so fn must not keep them. A
// node removed between the list's rebuild and the read lock shows with a
// nil node.
func (c *nodeCache) withNodes(fn func(nodes []*nodeInfo)) {
	c.mu.Lock()
	if c.listDirty {
		c.list = c.list[:0]
		for _, n := range c.nodes {
			if n.node != nil {
				c.list = append(c.list, n)
			}
		}
		slices.SortFunc(c.list, func(a, b *nodeInfo) int { return strings.Compare(a.node.Name, b.node.Name) })
		c.listDirty = false
	}
	c.mu.Unlock()
	c.mu.RLock()
	defer c.mu.RUnlock()
	fn(c.list)
}
