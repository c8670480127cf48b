package integration

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/controllers/scheduler"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// startScheduler runs a scheduler by name against server until the test
// ends.
func startScheduler(t *testing.T, server *framework.Server, name string) {
	opts := scheduler.DefaultOptions()
	opts.LeaderElect, opts.SchedulerName, opts.QPS, opts.Burst = false, name, 1000, 1000
	framework.RunComponent(t, "the scheduler", func(ctx context.Context) error { return scheduler.Run(ctx, server.Config, opts) })
}

// schedulingCluster is an API server without controllers, with a scheduler.
func schedulingCluster(t *testing.T) (*framework.Server, kubernetes.Interface) {
	server := framework.Start(t, framework.Setup{WithoutControllers: true})
	startScheduler(t, server, scheduler.DefaultSchedulerName)
	return server, server.Client
}

type nodeSpec struct {
	name        string
	cpu, memory string
	pods        int64
	labels      map[string]string
	taints      []corev1.Taint
}

func addNode(t *testing.T, client kubernetes.Interface, spec nodeSpec) {
	t.Helper()
	if spec.cpu == "" {
		spec.cpu = "4"
	}
	if spec.memory == "" {
		spec.memory = "8Gi"
	}
	if spec.pods == 0 {
		spec.pods = 110
	}
	labels := map[string]string{"kubernetes.io/hostname": spec.name}
	for k, v := range spec.labels {
		labels[k] = v
	}
	capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(spec.cpu), corev1.ResourceMemory: resource.MustParse(spec.memory),
		corev1.ResourcePods: *resource.NewQuantity(spec.pods, resource.DecimalSI)}
	_, err := client.CoreV1().Nodes().Create(context.Background(), &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: spec.name, Labels: labels},
		Spec:       corev1.NodeSpec{Taints: spec.taints},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity,
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// podWith is a one-container pod; mutate adjusts it.
func podWith(name, cpu string, mutate func(*corev1.Pod)) *corev1.Pod {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36"}}}}
	if cpu != "" {
		pod.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}
	}
	if mutate != nil {
		mutate(pod)
	}
	return pod
}

func createPod(t *testing.T, client kubernetes.Interface, pod *corev1.Pod) {
	t.Helper()
	if _, err := client.CoreV1().Pods("default").Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// nodeOf waits until the pod is bound and returns its node.
func nodeOf(t *testing.T, client kubernetes.Interface, name string) string {
	t.Helper()
	var node string
	waitFor(t, name+" bound", func(ctx context.Context) bool {
		pod, err := client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		node = pod.Spec.NodeName
		return err == nil && node != ""
	})
	return node
}

// expectUnschedulable waits until the pod's PodScheduled=False condition
// carries want (a first attempt may have seen fewer nodes than the test
// made: the scheduler retries when nodes come).
func expectUnschedulable(t *testing.T, client kubernetes.Interface, name, want string) {
	t.Helper()
	var message string
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		pod, err := client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				message = c.Message
			}
		}
		return message == want, nil
	})
	if err != nil {
		t.Errorf("%s: PodScheduled=False message\n got %q\nwant %q", name, message, want)
	}
}

func hasEvent(ctx context.Context, client kubernetes.Interface, pod, reason, message string) bool {
	list, err := client.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + pod})
	if err != nil {
		return false
	}
	for _, e := range list.Items {
		if e.Reason == reason && e.Message == message && e.Source.Component == scheduler.DefaultSchedulerName {
			return true
		}
	}
	return false
}

// A pod that fits nowhere: upstream's message on the condition and in a
// FailedScheduling event; a node added later takes it.
func TestSchedulerUnschedulableThenRetried(t *testing.T) {
	_, client := schedulingCluster(t)
	dedicated := []corev1.Taint{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}}
	addNode(t, client, nodeSpec{name: "small", cpu: "1"})
	addNode(t, client, nodeSpec{name: "db-1", taints: dedicated})
	addNode(t, client, nodeSpec{name: "db-2", taints: dedicated})
	createPod(t, client, podWith("big", "2", nil))
	want := "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: db}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
	expectUnschedulable(t, client, "big", want)
	waitFor(t, "a FailedScheduling event", func(ctx context.Context) bool { return hasEvent(ctx, client, "big", "FailedScheduling", want) })

	addNode(t, client, nodeSpec{name: "large", cpu: "8"})
	if node := nodeOf(t, client, "big"); node != "large" {
		t.Fatalf("big went to %s", node)
	}
	waitFor(t, "a Scheduled event", func(ctx context.Context) bool {
		return hasEvent(ctx, client, "big", "Scheduled", "Successfully assigned default/big to large")
	})
	pod, _ := client.CoreV1().Pods("default").Get(context.Background(), "big", metav1.GetOptions{})
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status != corev1.ConditionTrue {
			t.Errorf("PodScheduled after binding: %+v", c)
		}
	}

	// A toleration lets a pod onto the tainted nodes.
	createPod(t, client, podWith("db", "3", func(p *corev1.Pod) {
		p.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "db", Effect: corev1.TaintEffectNoSchedule}}
		p.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": "db-2"}
	}))
	if node := nodeOf(t, client, "db"); node != "db-2" {
		t.Fatalf("db went to %s", node)
	}
}

// Each filter keeps a pod off the nodes it rules out, with its reason.
func TestSchedulerFilters(t *testing.T) {
	server, client := schedulingCluster(t)
	addNode(t, client, nodeSpec{name: "a", labels: map[string]string{"disk": "ssd", scheduler.ZoneLabel: "z1"}})
	addNode(t, client, nodeSpec{name: "b", labels: map[string]string{"disk": "hdd", scheduler.ZoneLabel: "z1"}})
	addNode(t, client, nodeSpec{name: "c", pods: 1, labels: map[string]string{scheduler.ZoneLabel: "z2"}})

	cases := []struct {
		pod         *corev1.Pod
		nodes       []string // where it may land
		unscheduled string   // or its message
	}{
		{pod: podWith("by-name", "", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }), nodes: []string{"a"}},
		{pod: podWith("no-disk", "", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "nvme"} }),
			unscheduled: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."},
		{pod: podWith("affinity", "", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"hdd"}}}}}}}}
		}), nodes: []string{"b"}},
		{pod: podWith("ports-1", "", func(p *corev1.Pod) {
			p.Spec.NodeSelector = map[string]string{"disk": "ssd"}
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}}
		}), nodes: []string{"a"}},
		{pod: podWith("ports-2", "", func(p *corev1.Pod) {
			p.Spec.NodeSelector = map[string]string{"disk": "ssd"}
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}}
		}), unscheduled: "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."},
		{pod: podWith("fills-c", "", func(p *corev1.Pod) {
			p.Spec.NodeName = ""
			p.Spec.NodeSelector = map[string]string{scheduler.ZoneLabel: "z2"}
		}), nodes: []string{"c"}},
		{pod: podWith("too-many", "", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{scheduler.ZoneLabel: "z2"} }),
			unscheduled: "0/3 nodes are available: 1 Too many pods, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."},
	}
	for _, tc := range cases {
		createPod(t, client, tc.pod)
		if tc.unscheduled != "" {
			expectUnschedulable(t, client, tc.pod.Name, tc.unscheduled)
			continue
		}
		if node := nodeOf(t, client, tc.pod.Name); !contains(tc.nodes, node) {
			t.Errorf("%s went to %s, want one of %v", tc.pod.Name, node, tc.nodes)
		}
	}

	// A cordoned node takes nothing new.
	if _, err := client.CoreV1().Nodes().Patch(context.Background(), "b", types.MergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	createPod(t, client, podWith("to-cordoned", "", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "hdd"} }))
	expectUnschedulable(t, client, "to-cordoned", "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
	_ = server
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Required pod affinity and anti-affinity, by hostname and by zone; a
// claim bound to a volume with node affinity.
func TestSchedulerPodAffinityAndVolumes(t *testing.T) {
	_, client := schedulingCluster(t)
	for _, n := range []struct{ name, zone string }{{"z1-a", "z1"}, {"z1-b", "z1"}, {"z2-a", "z2"}} {
		addNode(t, client, nodeSpec{name: n.name, labels: map[string]string{scheduler.ZoneLabel: n.zone}})
	}
	term := func(app, key string) []corev1.PodAffinityTerm {
		return []corev1.PodAffinityTerm{{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}, TopologyKey: key}}
	}
	createPod(t, client, podWith("db", "", func(p *corev1.Pod) {
		p.Spec.NodeName = ""
		p.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": "z2-a"}
	}))
	nodeOf(t, client, "db")
	// Near the database: its zone.
	createPod(t, client, podWith("cache", "", func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: term("db", scheduler.ZoneLabel)}}
	}))
	if node := nodeOf(t, client, "cache"); node != "z2-a" {
		t.Errorf("cache went to %s, want the db's zone z2", node)
	}
	// Away from the database's zone.
	createPod(t, client, podWith("batch", "", func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: term("db", scheduler.ZoneLabel)}}
	}))
	if node := nodeOf(t, client, "batch"); !strings.HasPrefix(node, "z1-") {
		t.Errorf("batch went to %s, want zone z1", node)
	}
	// One per host: three replicas fit on three nodes, a fourth nowhere,
	// and the message says why.
	spread := func(p *corev1.Pod) {
		p.Labels = map[string]string{"app": "web"}
		p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: term("web", "kubernetes.io/hostname")}}
	}
	hosts := map[string]bool{}
	for i := range 3 {
		createPod(t, client, podWith(fmt.Sprintf("web-%d", i), "", spread))
		hosts[nodeOf(t, client, fmt.Sprintf("web-%d", i))] = true
	}
	if len(hosts) != 3 {
		t.Errorf("web pods share hosts: %v", hosts)
	}
	createPod(t, client, podWith("web-3", "", spread))
	expectUnschedulable(t, client, "web-3", "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")
	// The existing pods' anti-affinity keeps a matching newcomer away too.
	createPod(t, client, podWith("web-plain", "", func(p *corev1.Pod) { p.Labels = map[string]string{"app": "web"} }))
	expectUnschedulable(t, client, "web-plain", "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")

	// A claim bound to a volume that lives on z1-b.
	ctx := context.Background()
	_, err := client.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "local"},
		Spec: corev1.PersistentVolumeSpec{Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource: corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: "/mnt/disk"}},
			ClaimRef:               &corev1.ObjectReference{Namespace: "default", Name: "data"},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{"z1-b"}}}}}}}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.CoreV1().PersistentVolumeClaims("default").Create(ctx, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, VolumeName: "local",
			StorageClassName: ptr.To(""),
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	createPod(t, client, podWith("uses-data", "", func(p *corev1.Pod) {
		p.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}
	}))
	if node := nodeOf(t, client, "uses-data"); node != "z1-b" {
		t.Errorf("uses-data went to %s, want z1-b where its volume is", node)
	}
	createPod(t, client, podWith("no-claim", "", func(p *corev1.Pod) {
		p.Spec.Volumes = []corev1.Volume{{Name: "x", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "missing"}}}}
	}))
	expectUnschedulable(t, client, "no-claim", `0/3 nodes are available: persistentvolumeclaim "missing" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.`)
}

// Scores: the emptier node wins, a service's pods spread across nodes,
// preferred node affinity and PreferNoSchedule taints count.
func TestSchedulerScores(t *testing.T) {
	_, client := schedulingCluster(t)
	addNode(t, client, nodeSpec{name: "busy", cpu: "4"})
	addNode(t, client, nodeSpec{name: "idle", cpu: "4"})
	createPod(t, client, podWith("hog", "3", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": "busy"} }))
	nodeOf(t, client, "hog")
	createPod(t, client, podWith("light", "500m", nil))
	if node := nodeOf(t, client, "light"); node != "idle" {
		t.Errorf("light went to %s, want the least allocated node", node)
	}

	addNode(t, client, nodeSpec{name: "preferred", cpu: "4", labels: map[string]string{"gpu": "yes"},
		taints: nil})
	createPod(t, client, podWith("likes-gpu", "", func(p *corev1.Pod) {
		p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{
			Weight: 100, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "gpu", Operator: corev1.NodeSelectorOpExists}}}}}}}
	}))
	if node := nodeOf(t, client, "likes-gpu"); node != "preferred" {
		t.Errorf("likes-gpu went to %s", node)
	}

	// A service's pods spread over the three nodes; PreferNoSchedule keeps
	// them off a fourth node while others have room.
	addNode(t, client, nodeSpec{name: "avoid", cpu: "4", taints: []corev1.Taint{{Key: "spot", Effect: corev1.TaintEffectPreferNoSchedule}}})
	if _, err := client.CoreV1().Services("default").Create(context.Background(), &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "front"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "front"}, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	perNode := map[string]int{}
	for i := range 3 {
		name := fmt.Sprintf("front-%d", i)
		createPod(t, client, podWith(name, "", func(p *corev1.Pod) { p.Labels = map[string]string{"app": "front"} }))
		perNode[nodeOf(t, client, name)]++
	}
	if len(perNode) != 3 || perNode["avoid"] > 0 {
		t.Errorf("front pods: %v, want one each on busy, idle and preferred", perNode)
	}
}

// Two schedulers side by side: each places only the pods that name it.
func TestTwoSchedulers(t *testing.T) {
	server, client := schedulingCluster(t)
	addNode(t, client, nodeSpec{name: "n1"})
	createPod(t, client, podWith("for-other", "", func(p *corev1.Pod) { p.Spec.SchedulerName = "other-scheduler" }))
	createPod(t, client, podWith("for-default", "", nil))
	nodeOf(t, client, "for-default")
	pod, _ := client.CoreV1().Pods("default").Get(context.Background(), "for-other", metav1.GetOptions{})
	if pod.Spec.NodeName != "" || len(pod.Status.Conditions) != 0 {
		t.Fatalf("the default scheduler touched another scheduler's pod: %+v", pod.Status)
	}
	startScheduler(t, server, "other-scheduler")
	nodeOf(t, client, "for-other")
}

// 200 pods at once on nodes with room for exactly 200: all are placed,
// no node over its cpu; the 201st fits nowhere.
func TestSchedulerNoOvercommit(t *testing.T) {
	_, client := schedulingCluster(t)
	for i := range 4 {
		addNode(t, client, nodeSpec{name: fmt.Sprintf("n%d", i), cpu: "5"}) // 50 pods of 100m each
	}
	var wg sync.WaitGroup
	errs := make(chan error, 201)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := client.CoreV1().Pods("default").Create(context.Background(), podWith(fmt.Sprintf("p%d", i), "100m", nil), metav1.CreateOptions{})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	perNode := map[string]int{}
	waitFor(t, "200 pods bound", func(ctx context.Context) bool {
		list, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		perNode = map[string]int{}
		for _, p := range list.Items {
			if p.Spec.NodeName != "" {
				perNode[p.Spec.NodeName]++
			}
		}
		total := 0
		for _, n := range perNode {
			total += n
		}
		return total == 200
	})
	for node, n := range perNode {
		if n > 50 {
			t.Errorf("%s has %d pods of 100m on 5 cpus", node, n)
		}
	}
	createPod(t, client, podWith("one-too-many", "100m", nil))
	expectUnschedulable(t, client, "one-too-many", "0/4 nodes are available: 4 Insufficient cpu. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.")
}

// Two replicas of the scheduler: one holds the kube-scheduler Lease and
// schedules; when it stops, the other takes over.
func TestSchedulerLeaderElection(t *testing.T) {
	server := framework.Start(t, framework.Setup{WithoutControllers: true})
	client := server.Client
	addNode(t, client, nodeSpec{name: "n1"})
	cancels := map[string]context.CancelFunc{}
	for _, identity := range []string{"alpha", "beta"} {
		opts := scheduler.DefaultOptions()
		opts.Identity = identity
		opts.LeaseDuration, opts.RenewDeadline, opts.RetryPeriod = 2*time.Second, time.Second, 100*time.Millisecond
		ctx, cancel := context.WithCancel(context.Background())
		cancels[identity] = cancel
		go func() { _ = scheduler.Run(ctx, server.Config, opts) }()
	}
	t.Cleanup(func() {
		for _, cancel := range cancels {
			cancel()
		}
	})
	holder := func(ctx context.Context) string {
		lease, err := client.CoordinationV1().Leases(metav1.NamespaceSystem).Get(ctx, "kube-scheduler", metav1.GetOptions{})
		if err != nil || lease.Spec.HolderIdentity == nil {
			return ""
		}
		return *lease.Spec.HolderIdentity
	}
	var leader string
	waitFor(t, "a leader", func(ctx context.Context) bool { leader = holder(ctx); return leader != "" })
	createPod(t, client, podWith("first", "", nil))
	nodeOf(t, client, "first")

	cancels[leader]()
	other := map[string]string{"alpha": "beta", "beta": "alpha"}[leader]
	waitFor(t, "the other scheduler to take over", func(ctx context.Context) bool { return holder(ctx) == other })
	createPod(t, client, podWith("second", "", nil))
	nodeOf(t, client, "second")
}

// topologySpreadConstraints: DoNotSchedule keeps zones within maxSkew
// (the lone node of a zone takes half the pods), and a node without the
// topology key is ruled out.
func TestSchedulerTopologySpread(t *testing.T) {
	_, client := schedulingCluster(t)
	addNode(t, client, nodeSpec{name: "a", labels: map[string]string{scheduler.ZoneLabel: "z1"}})
	addNode(t, client, nodeSpec{name: "b", labels: map[string]string{scheduler.ZoneLabel: "z1"}})
	addNode(t, client, nodeSpec{name: "c", labels: map[string]string{scheduler.ZoneLabel: "z2"}})
	spread := func(p *corev1.Pod) {
		p.Labels = map[string]string{"app": "spread"}
		p.Spec.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: scheduler.ZoneLabel,
			WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "spread"}}}}
	}
	zones := map[string]int{}
	for i := range 6 {
		name := fmt.Sprintf("spread-%d", i)
		createPod(t, client, podWith(name, "", spread))
		if node := nodeOf(t, client, name); node == "c" {
			zones["z2"]++
		} else {
			zones["z1"]++
		}
	}
	if zones["z1"] != 3 || zones["z2"] != 3 {
		t.Errorf("pods per zone: %v, want 3 and 3", zones)
	}
	addNode(t, client, nodeSpec{name: "d"})
	createPod(t, client, podWith("on-d", "", func(p *corev1.Pod) {
		spread(p)
		p.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": "d"}
	}))
	want := "0/4 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label), 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."
	expectUnschedulable(t, client, "on-d", want)
}
