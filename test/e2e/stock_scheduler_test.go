package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The stock kube-scheduler v1.37.2, unmodified, against `kybernetes
// apiserver` with the kubeconfig the server writes for a scheduler
// (system:kube-scheduler): its informers sync on every group it watches
// (resource.k8s.io among them), it takes the kube-scheduler lease, binds
// a pod to the node with room, reports one that fits nowhere in its words,
// and logs no watch it could not keep nor a request it was refused.
func TestStockKubeScheduler(t *testing.T) {
	r := newStockRun(t)
	kc := r.kc
	waitUntil := r.waitUntil
	api := r.api
	schedulerKubeconfig := filepath.Join(r.data, "scheduler.kubeconfig")
	_, schedulerLog := r.start("kube-scheduler", kubeSchedulerBin, "--kubeconfig", schedulerKubeconfig,
		"--authentication-kubeconfig", schedulerKubeconfig, "--authorization-kubeconfig", schedulerKubeconfig, "--leader-elect=true")
	waitUntil("the kube-scheduler lease", func() bool {
		return r.get("-n", "kube-system", "get", "lease", "kube-scheduler", "-o", "jsonpath={.spec.holderIdentity}") != ""
	})

	node := func(name, cpu string) string {
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"Node","metadata":{"name":%q,"labels":{"kubernetes.io/hostname":%q}},
		  "status":{"capacity":{"cpu":%q,"memory":"4Gi","pods":"10"},"allocatable":{"cpu":%q,"memory":"4Gi","pods":"10"},
		    "conditions":[{"type":"Ready","status":"True"}]}}`, name, name, cpu, cpu)
	}
	// No controller manager: the account pods need is made by hand.
	kc("", "create", "serviceaccount", "default")
	kc(node("small", "1"), "create", "-f", "-")
	kc(node("large", "8"), "create", "-f", "-")
	pod := func(name, cpu string) string {
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q},"spec":{"containers":[{"name":"c","image":"busybox:1.36",
		  "resources":{"requests":{"cpu":%q}}}]}}`, name, cpu)
	}
	kc(pod("needs-room", "4"), "create", "-f", "-")
	kc(pod("too-big", "100"), "create", "-f", "-")
	waitUntil("needs-room bound", func() bool {
		out, _ := exec.Command(kubectlBin, "--kubeconfig", api.kubeconfig, "get", "pod", "needs-room", "-o", "jsonpath={.spec.nodeName}").Output()
		return len(out) > 0
	})
	if got := kc("", "get", "pod", "needs-room", "-o", "jsonpath={.spec.nodeName}"); got != "large" {
		t.Errorf("needs-room on %q, want large (small has 1 cpu)", got)
	}
	waitUntil("the Scheduled event from default-scheduler", func() bool {
		out, _ := exec.Command(kubectlBin, "--kubeconfig", api.kubeconfig, "get", "events", "--field-selector", "involvedObject.name=needs-room",
			"-o", "jsonpath={range .items[*]}{.reason}|{.reportingComponent}|{.message}{\"\\n\"}{end}").Output()
		return strings.Contains(string(out), "Scheduled|default-scheduler|Successfully assigned default/needs-room to large")
	})
	// Messages as kybernetes's own scheduler writes them (its integration
	// tests expect the same texts).
	// crowded fits large's 8 cpus but not beside needs-room, and small not at all.
	kc(pod("crowded", "6"), "create", "-f", "-")
	kc(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"nowhere"},"spec":{"nodeSelector":{"disk":"none"},
	  "containers":[{"name":"c","image":"busybox:1.36"}]}}`, "create", "-f", "-")
	for pod, want := range map[string]string{
		"too-big": "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
		"crowded": "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.",
		"nowhere": "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
	} {
		var got []byte
		for deadline := time.Now().Add(60 * time.Second); string(got) != want && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			got, _ = exec.Command(kubectlBin, "--kubeconfig", api.kubeconfig, "get", "pod", pod,
				"-o", `jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}`).Output()
		}
		if string(got) != want {
			t.Errorf("%s: PodScheduled message\n got %q\nwant %q", pod, got, want)
		}
	}

	// Dynamic resource allocation: the only device of its class is on
	// small, so the pod that claims it goes there, and the scheduler
	// records the allocation and the reservation in the claim's status.
	kc(draObjects, "apply", "-f", "-")
	kc(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"wants-gpu"},"spec":{
	  "resourceClaims":[{"name":"gpu","resourceClaimName":"one-gpu"}],
	  "containers":[{"name":"c","image":"busybox:1.36","resources":{"claims":[{"name":"gpu"}]}}]}}`, "create", "-f", "-")
	waitUntil("wants-gpu bound", func() bool {
		out, _ := exec.Command(kubectlBin, "--kubeconfig", api.kubeconfig, "get", "pod", "wants-gpu", "-o", "jsonpath={.spec.nodeName}").Output()
		return len(out) > 0
	})
	if got := kc("", "get", "pod", "wants-gpu", "-o", "jsonpath={.spec.nodeName}"); got != "small" {
		t.Errorf("wants-gpu on %q, want small, where the device is", got)
	}
	mustContain(t, kc("", "get", "resourceclaim", "one-gpu"), "allocated,reserved")
	mustContain(t, kc("", "get", "resourceclaim", "one-gpu", "-o", "jsonpath={.status.allocation.devices.results[0].device} {.status.reservedFor[0].name}"),
		"gpu-0 wants-gpu")

	// Every watch held, nothing refused.
	if found := logProblems(schedulerLog()); len(found) > 0 {
		t.Errorf("kube-scheduler logged:\n%s", strings.Join(found, "\n"))
	}
}

// draObjects are a device class, the one device of it (on node small) and
// a claim for it.
const draObjects = `
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: gpu.example.com}
spec:
  selectors:
  - cel: {expression: 'device.driver == "gpu.example.com"'}
---
apiVersion: resource.k8s.io/v1
kind: ResourceSlice
metadata: {name: small-gpus}
spec:
  driver: gpu.example.com
  nodeName: small
  pool: {name: small, resourceSliceCount: 1}
  devices:
  - name: gpu-0
    attributes:
      model: {string: T4}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: one-gpu}
spec:
  devices:
    requests:
    - name: gpu
      exactly: {deviceClassName: gpu.example.com}
`
