// Package nodeipam gives every node a pod CIDR from the cluster CIDR, as
// upstream's range allocator (kube-controller-manager
// --allocate-node-cidrs): the next free subnet of --node-cidr-mask-size
// bits goes into spec.podCIDR and spec.podCIDRs, and returns to the pool
// when the node is deleted. IPv4 only.
package nodeipam

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/big"
	"net"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/kybernetes/kybernetes/controllers/lib/events"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// Controller is the node IPAM controller; its queue holds node names.
type Controller struct {
	client   kubernetes.Interface
	nodes    corelisters.NodeLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
	pool     *pool
	recorder *events.Recorder
}

// New returns a controller that allocates subnets of maskSize bits from
// clusterCIDR.
func New(client kubernetes.Interface, nodes coreinformers.NodeInformer, clusterCIDR string, maskSize int) (*Controller, error) {
	p, err := newPool(clusterCIDR, maskSize)
	if err != nil {
		return nil, err
	}
	c := &Controller{
		client:   client,
		nodes:    nodes.Lister(),
		synced:   []cache.InformerSynced{nodes.Informer().HasSynced},
		queue:    runner.NewQueue("nodeipam"),
		pool:     p,
		recorder: events.NewRecorder(client, "cidrAllocator"),
	}
	_, _ = nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { c.queue.Add(obj.(*corev1.Node).Name) },
		UpdateFunc: func(_, obj interface{}) { c.queue.Add(obj.(*corev1.Node).Name) },
		DeleteFunc: func(obj interface{}) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			if node, ok := obj.(*corev1.Node); ok {
				c.pool.release(node.Spec.PodCIDR)
			}
		},
	})
	return c, nil
}

// Run allocates with one worker (allocation is serial by nature) until ctx
// ends. The subnets nodes already have are taken first, so that a restart
// never hands one out twice.
func (c *Controller) Run(ctx context.Context) {
	c.recorder.Start(ctx)
	if !cache.WaitForNamedCacheSync("nodeipam", ctx.Done(), c.synced...) {
		return
	}
	c.occupyExisting()
	runner.Run(ctx, "nodeipam", c.queue, nil, 1, runner.Always(c.sync))
}

func (c *Controller) occupyExisting() {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return
	}
	for _, node := range nodes {
		c.pool.occupy(node.Spec.PodCIDR)
	}
}

func (c *Controller) sync(ctx context.Context, name string) error {
	node, err := c.nodes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if node.Spec.PodCIDR != "" {
		c.pool.occupy(node.Spec.PodCIDR)
		return nil
	}
	cidr, ok := c.pool.allocate()
	if !ok {
		c.recorder.Eventf(node, corev1.EventTypeNormal, "CIDRNotAvailable", "Node %s status is now: CIDRNotAvailable", node.Name)
		return fmt.Errorf("no pod CIDR left in the cluster CIDR for node %s", node.Name)
	}
	patch := fmt.Sprintf(`{"spec":{"podCIDR":%q,"podCIDRs":[%q]}}`, cidr, cidr)
	_, err = c.client.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	if err != nil {
		c.pool.release(cidr)
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	c.recorder.Eventf(node, corev1.EventTypeNormal, "CIDRAssignmentSucceeded", "Node %s was assigned pod CIDR %s", node.Name, cidr)
	return nil
}

// pool hands out the subnets of a cluster CIDR by index.
type pool struct {
	mu       sync.Mutex
	base     uint32
	maskSize int
	size     int
	used     *big.Int // bit i: subnet i is taken
	next     int
}

func newPool(clusterCIDR string, maskSize int) (*pool, error) {
	_, network, err := net.ParseCIDR(clusterCIDR)
	if err != nil {
		return nil, fmt.Errorf("--cluster-cidr: %w", err)
	}
	ip4 := network.IP.To4()
	ones, bits := network.Mask.Size()
	if ip4 == nil || bits != 32 {
		return nil, fmt.Errorf("--cluster-cidr %s: only IPv4 is supported", clusterCIDR)
	}
	if maskSize < ones || maskSize > 30 {
		return nil, fmt.Errorf("--node-cidr-mask-size %d must be between the cluster CIDR's prefix length %d and 30", maskSize, ones)
	}
	return &pool{base: binary.BigEndian.Uint32(ip4), maskSize: maskSize, size: 1 << (maskSize - ones), used: new(big.Int)}, nil
}

func (p *pool) subnet(i int) string {
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, p.base+uint32(i)<<(32-p.maskSize))
	return fmt.Sprintf("%s/%d", ip, p.maskSize)
}

// index is the subnet's place in the pool, or -1 if it is not one of its
// subnets.
func (p *pool) index(cidr string) int {
	ip, network, err := net.ParseCIDR(cidr)
	if err != nil || ip.To4() == nil {
		return -1
	}
	if ones, _ := network.Mask.Size(); ones != p.maskSize {
		return -1
	}
	addr := binary.BigEndian.Uint32(network.IP.To4())
	step := uint32(1) << (32 - p.maskSize)
	if addr < p.base || (addr-p.base)%step != 0 {
		return -1
	}
	i := int((addr - p.base) / step)
	if i >= p.size {
		return -1
	}
	return i
}

func (p *pool) occupy(cidr string) {
	if i := p.index(cidr); i >= 0 {
		p.mu.Lock()
		p.used.SetBit(p.used, i, 1)
		p.mu.Unlock()
	}
}

func (p *pool) release(cidr string) {
	if i := p.index(cidr); i >= 0 {
		p.mu.Lock()
		p.used.SetBit(p.used, i, 0)
		p.mu.Unlock()
	}
}

// allocate takes the next free subnet, searching round-robin from the last
// one handed out so that a released subnet is not reused at once.
func (p *pool) allocate() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for n := 0; n < p.size; n++ {
		i := (p.next + n) % p.size
		if p.used.Bit(i) == 0 {
			p.used.SetBit(p.used, i, 1)
			p.next = (i + 1) % p.size
			return p.subnet(i), true
		}
	}
	return "", false
}
