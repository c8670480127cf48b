// Package node keeps a kubelet's Node object: registration with what the
// machine has, a Lease in kube-node-lease renewed every 10 s, and the
// status (conditions, addresses, daemon endpoint) written when it changes
// and at least every 5 minutes, as upstream's kubelet does.
package node

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/version"
)

// Upstream's intervals.
const (
	leaseDuration  = 40 * time.Second
	renewInterval  = 10 * time.Second
	statusInterval = 10 * time.Second
	reportInterval = 5 * time.Minute
)

// Health says what keeps the node from running pods; empty means ready.
type Health func() (notReady string)

// Node is one kubelet's Node.
type Node struct {
	Client  kubernetes.Interface
	Name    string
	Address string
	// Port is the kubelet server's, published as
	// status.daemonEndpoints.kubeletEndpoint.
	Port    int
	RootDir string
	Health  Health
	// RuntimeVersion is shown as containerRuntimeVersion (runc://1.1.5).
	RuntimeVersion string
	// Images lists the images on the node, for status.images.
	Images func() []corev1.ContainerImage
	// Seen, if set, is given the Node as the API has it before a status is
	// computed over it, so that what Health learns from the spec (the pod
	// CIDR) counts at once: a restarted kubelet must not report NotReady
	// for a node that has its CIDR.
	Seen func(*corev1.Node)

	lastReported time.Time
	kick         chan struct{}
}

// Kick asks for a status update now: something the Ready condition
// depends on changed (the node got its pod CIDR). Call it after Register.
func (n *Node) Kick() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// Register creates the Node, or brings an existing one up to date, and
// returns it.
func (n *Node) Register(ctx context.Context) (*corev1.Node, error) {
	if n.kick == nil {
		n.kick = make(chan struct{}, 1)
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: map[string]string{
		corev1.LabelHostname: n.Name, corev1.LabelOSStable: goruntime.GOOS, corev1.LabelArchStable: goruntime.GOARCH,
	}}}
	node.Status = n.status(nil)
	created, err := n.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err == nil {
		klog.InfoS("registered the node", "node", n.Name)
		return created, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	existing, err := n.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return n.updateStatus(ctx, existing)
}

func (n *Node) seen(node *corev1.Node) {
	if n.Seen != nil {
		n.Seen(node)
	}
}

// Run renews the lease and reports status until ctx ends.
func (n *Node) Run(ctx context.Context) {
	lease := time.NewTicker(renewInterval)
	status := time.NewTicker(statusInterval)
	defer lease.Stop()
	defer status.Stop()
	n.renewLease(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-lease.C:
			n.renewLease(ctx)
			continue
		case <-status.C:
		case <-n.kick:
		}
		node, err := n.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			if _, err := n.Register(ctx); err != nil {
				klog.ErrorS(err, "re-registering the node")
			}
			continue
		}
		if err == nil {
			_, err = n.updateStatus(ctx, node)
		}
		if err != nil {
			klog.ErrorS(err, "updating node status")
		}
	}
}

// updateStatus patches nodes/status when it changed or is due.
func (n *Node) updateStatus(ctx context.Context, node *corev1.Node) (*corev1.Node, error) {
	n.seen(node)
	status := n.status(&node.Status)
	if apiequality.Semantic.DeepEqual(withoutHeartbeats(status), withoutHeartbeats(node.Status)) && time.Since(n.lastReported) < reportInterval {
		return node, nil
	}
	patch, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return nil, err
	}
	updated, err := n.Client.CoreV1().Nodes().Patch(ctx, n.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if err == nil {
		n.lastReported = time.Now()
	}
	return updated, err
}

func withoutHeartbeats(s corev1.NodeStatus) corev1.NodeStatus {
	s = *s.DeepCopy()
	for i := range s.Conditions {
		s.Conditions[i].LastHeartbeatTime = metav1.Time{}
	}
	return s
}

// status is the node's status now; old's transition times are kept where a
// condition did not change.
func (n *Node) status(old *corev1.NodeStatus) corev1.NodeStatus {
	now := metav1.Now()
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewQuantity(int64(goruntime.NumCPU()), resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(MemTotal(), resource.BinarySI),
		corev1.ResourcePods:   *resource.NewQuantity(110, resource.DecimalSI),
	}
	var fs unix.Statfs_t
	if unix.Statfs(n.RootDir, &fs) == nil {
		capacity[corev1.ResourceEphemeralStorage] = *resource.NewQuantity(int64(fs.Blocks)*fs.Bsize, resource.BinarySI)
	}
	notReady := ""
	if n.Health != nil {
		notReady = n.Health()
	}
	condition := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, message string) corev1.NodeCondition {
		c := corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: message, LastHeartbeatTime: now, LastTransitionTime: now}
		if old != nil {
			for _, o := range old.Conditions {
				if o.Type == t && o.Status == s {
					c.LastTransitionTime = o.LastTransitionTime
				}
			}
		}
		return c
	}
	ready := condition(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status")
	if notReady != "" {
		ready = condition(corev1.NodeReady, corev1.ConditionFalse, "KubeletNotReady", notReady)
	}
	return corev1.NodeStatus{
		Capacity: capacity, Allocatable: capacity,
		Conditions: []corev1.NodeCondition{
			condition(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
			condition(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
			condition(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
			ready,
		},
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: n.Address}, {Type: corev1.NodeHostName, Address: n.Name}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(n.Port)}},
		NodeInfo:        n.nodeInfo(),
		Images:          n.images(),
	}
}

// maxImages is upstream's --node-status-max-images default.
const maxImages = 50

// images are the node's images for its status, largest first, at most
// maxImages, as upstream reports them (the scheduler's image locality
// reads them).
func (n *Node) images() []corev1.ContainerImage {
	if n.Images == nil {
		return nil
	}
	list := n.Images()
	sort.SliceStable(list, func(i, j int) bool { return list[i].SizeBytes > list[j].SizeBytes })
	if len(list) > maxImages {
		list = list[:maxImages]
	}
	return list
}

func (n *Node) nodeInfo() corev1.NodeSystemInfo {
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	return corev1.NodeSystemInfo{
		MachineID:               readTrimmed("/etc/machine-id"),
		SystemUUID:              readTrimmed("/sys/class/dmi/id/product_uuid"),
		BootID:                  readTrimmed("/proc/sys/kernel/random/boot_id"),
		KernelVersion:           unix.ByteSliceToString(uts.Release[:]),
		OSImage:                 osImage(),
		ContainerRuntimeVersion: n.RuntimeVersion,
		KubeletVersion:          version.Get().GitVersion,
		OperatingSystem:         goruntime.GOOS,
		Architecture:            goruntime.GOARCH,
	}
}

// renewLease keeps kube-node-lease/<node> held, owned by the Node so that
// it goes with it.
func (n *Node) renewLease(ctx context.Context) {
	leases := n.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NowMicro()
	lease, err := leases.Get(ctx, n.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		lease = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: n.Name},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(n.Name), LeaseDurationSeconds: ptr.To(int32(leaseDuration.Seconds())), RenewTime: &now}}
		if node, err := n.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{}); err == nil {
			lease.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}}
		}
		_, err = leases.Create(ctx, lease, metav1.CreateOptions{})
	case err == nil:
		lease.Spec.RenewTime = &now
		lease.Spec.HolderIdentity = ptr.To(n.Name)
		_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	}
	if err != nil {
		klog.ErrorS(err, "renewing the node lease")
	}
}

// MemTotal is the machine's memory, from /proc/meminfo (0 when unreadable).
func MemTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		var kb int64
		if _, err := fmt.Sscanf(s.Text(), "MemTotal: %d kB", &kb); err == nil {
			return kb * 1024
		}
	}
	return 0
}

func readTrimmed(path string) string {
	data, _ := os.ReadFile(path)
	return strings.TrimSpace(string(data))
}

func osImage() string {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return "Linux"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "Linux"
}

// RuncVersion is "runc://<version>", as containerRuntimeVersion shows it.
func RuncVersion(binary string) string {
	out, err := exec.Command(binary, "--version").Output()
	if err != nil {
		return "runc://unknown"
	}
	first := strings.Fields(strings.SplitN(string(out), "\n", 2)[0])
	return "runc://" + first[len(first)-1]
}
