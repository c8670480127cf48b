package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestVersionAndDiscovery(t *testing.T) {
	out := k(t, "version")
	mustContain(t, out, "Client Version: v1.37.2", "Server Version: v1.37.2+kyb.")

	out = k(t, "api-resources")
	rows := fields(out)
	if strings.Join(rows[0], " ") != "NAME SHORTNAMES APIVERSION NAMESPACED KIND" {
		t.Fatalf("api-resources header: %v", rows[0])
	}
	for _, want := range []string{
		"configmaps cm v1 true ConfigMap",
		"namespaces ns v1 false Namespace",
		"serviceaccounts sa v1 true ServiceAccount",
		"events ev v1 true Event",
		"secrets v1 true Secret",
		"leases coordination.k8s.io/v1 true Lease",
	} {
		found := false
		for _, row := range rows {
			if strings.Join(row, " ") == want {
				found = true
			}
		}
		if !found {
			t.Errorf("api-resources lacks %q:\n%s", want, out)
		}
	}

	out = k(t, "explain", "configmap.data")
	mustContain(t, out, "KIND:       ConfigMap", "VERSION:    v1", "FIELD: data <map[string]string>")

	out = k(t, "auth", "whoami")
	mustContain(t, out, "kybernetes-admin", "system:masters")
}

func TestGetNamespaces(t *testing.T) {
	out := k(t, "get", "ns")
	rows := fields(out)
	if strings.Join(rows[0], " ") != "NAME STATUS AGE" {
		t.Fatalf("get ns header: %v", rows[0])
	}
	seen := map[string]string{}
	for _, row := range rows[1:] {
		seen[row[0]] = row[1]
	}
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		if seen[ns] != "Active" {
			t.Errorf("namespace %s: %q, want Active", ns, seen[ns])
		}
	}
}

func TestConfigMapLifecycle(t *testing.T) {
	ns := namespace(t, "e2e-cm")
	mustContain(t, k(t, "-n", ns, "create", "configmap", "app", "--from-literal=mode=fast", "--from-literal=size=2"),
		"configmap/app created")

	rows := fields(k(t, "-n", ns, "get", "cm"))
	if strings.Join(rows[0], " ") != "NAME DATA AGE" || rows[1][0] != "app" || rows[1][1] != "2" {
		t.Fatalf("get cm:\n%v", rows)
	}
	mustContain(t, k(t, "-n", ns, "get", "cm", "app", "-o", "wide"), "NAME", "DATA", "app")

	var cm struct {
		Kind     string
		Metadata struct{ Name, Namespace, ResourceVersion string }
		Data     map[string]string
	}
	if err := json.Unmarshal([]byte(k(t, "-n", ns, "get", "cm", "app", "-o", "json")), &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Kind != "ConfigMap" || cm.Metadata.Namespace != ns || cm.Data["mode"] != "fast" {
		t.Fatalf("get -o json: %+v", cm)
	}
	mustContain(t, k(t, "-n", ns, "get", "cm", "app", "-o", "yaml"), "apiVersion: v1", "kind: ConfigMap", "mode: fast", "name: app")

	out := k(t, "-n", ns, "describe", "cm", "app")
	mustContain(t, out, "Name:         app", "Namespace:    "+ns, "mode:", "fast", "Events:")

	mustContain(t, k(t, "-n", ns, "label", "cm", "app", "tier=web"), "configmap/app labeled")
	mustContain(t, k(t, "-n", ns, "get", "cm", "-l", "tier=web", "--show-labels"), "tier=web")
	mustContain(t, k(t, "-n", ns, "annotate", "cm", "app", "owner=team-a"), "configmap/app annotated")
	mustContain(t, k(t, "-n", ns, "get", "cm", "app", "-o", "jsonpath={.metadata.annotations.owner}"), "team-a")

	mustContain(t, k(t, "-n", ns, "patch", "cm", "app", "-p", `{"data":{"mode":"safe"}}`), "configmap/app patched")
	mustContain(t, k(t, "-n", ns, "patch", "cm", "app", "--type=json", "-p", `[{"op":"remove","path":"/data/size"}]`), "configmap/app patched")
	if got := k(t, "-n", ns, "get", "cm", "app", "-o", "jsonpath={.data}"); got != `{"mode":"safe"}` {
		t.Fatalf("data after patches: %s", got)
	}

	mustContain(t, k(t, "-n", ns, "delete", "cm", "app"), `configmap "app" deleted`)
	errOut := kFails(t, "", "-n", ns, "get", "cm", "app")
	mustContain(t, errOut, `Error from server (NotFound): configmaps "app" not found`)
}

const manifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: applied
data:
  color: %s
---
apiVersion: v1
kind: Secret
metadata:
  name: applied
type: Opaque
stringData:
  password: hunter2
`

func TestApplyDiffAndServerSideApply(t *testing.T) {
	ns := namespace(t, "e2e-apply")
	mustContain(t, kIn(t, strings.Replace(manifest, "%s", "blue", 1), "-n", ns, "apply", "-f", "-"),
		"configmap/applied created", "secret/applied created")
	// A secret written with stringData reads "configured" on every apply,
	// as upstream (stringData is write-only, so kubectl always sends it).
	mustContain(t, kIn(t, strings.Replace(manifest, "%s", "blue", 1), "-n", ns, "apply", "-f", "-"),
		"configmap/applied unchanged", "secret/applied configured")

	// kubectl diff exits 1 when there are differences and prints them.
	out, errOut, err := kubectl(t, strings.Replace(manifest, "%s", "green", 1), nil, "-n", ns, "diff", "-f", "-")
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Fatalf("kubectl diff: %v\n%s%s", err, out, errOut)
	}
	mustContain(t, out, "-  color: blue", "+  color: green")

	mustContain(t, kIn(t, strings.Replace(manifest, "%s", "green", 1), "-n", ns, "apply", "-f", "-"), "configmap/applied configured")

	// Server-side apply by a second manager conflicts on a field the first owns.
	ssa := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  color: red\n"
	errOut = kFails(t, ssa, "-n", ns, "apply", "--server-side", "--field-manager=painter", "-f", "-")
	mustContain(t, errOut, "Apply failed with 1 conflict", ".data.color")
	mustContain(t, kIn(t, ssa, "-n", ns, "apply", "--server-side", "--field-manager=painter", "--force-conflicts", "-f", "-"),
		"configmap/applied serverside-applied")
	if got := k(t, "-n", ns, "get", "cm", "applied", "-o", "jsonpath={.data.color}"); got != "red" {
		t.Fatalf("color after forced server-side apply: %s", got)
	}

	rows := fields(k(t, "-n", ns, "get", "secret"))
	if strings.Join(rows[0], " ") != "NAME TYPE DATA AGE" || strings.Join(rows[1][:3], " ") != "applied Opaque 1" {
		t.Fatalf("get secret:\n%v", rows)
	}
	mustContain(t, k(t, "-n", ns, "create", "configmap", "dry", "--dry-run=server", "-o", "name"), "configmap/dry")
	kFails(t, "", "-n", ns, "get", "cm", "dry")
}

func TestEditWithScriptedEditor(t *testing.T) {
	ns := namespace(t, "e2e-edit")
	k(t, "-n", ns, "create", "configmap", "editable", "--from-literal=greeting=hello")
	editor := filepath.Join(t.TempDir(), "editor.sh")
	script := "#!/bin/sh\nsed -i 's/greeting: hello/greeting: bonjour/' \"$1\"\n"
	if err := os.WriteFile(editor, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := kubectl(t, "", []string{"KUBE_EDITOR=" + editor}, "-n", ns, "edit", "cm", "editable")
	if err != nil {
		t.Fatalf("kubectl edit: %v\n%s%s", err, out, errOut)
	}
	mustContain(t, out, "configmap/editable edited")
	if got := k(t, "-n", ns, "get", "cm", "editable", "-o", "jsonpath={.data.greeting}"); got != "bonjour" {
		t.Fatalf("after edit: %s", got)
	}
}

func TestInvalidInputIsRefused(t *testing.T) {
	ns := namespace(t, "e2e-invalid")
	errOut := kFails(t, "", "-n", ns, "create", "configmap", "Bad_Name")
	mustContain(t, errOut, `ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"`)

	tls := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\ntype: kubernetes.io/tls\ndata: {}\n"
	errOut = kFails(t, tls, "-n", ns, "create", "-f", "-")
	mustContain(t, errOut, `The Secret "tls" is invalid`, "data[tls.crt]: Required value", "data[tls.key]: Required value")

	unknown := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\ndta:\n  a: b\n"
	errOut = kFails(t, unknown, "-n", ns, "create", "-f", "-")
	mustContain(t, errOut, `unknown field "dta"`)

	errOut = kFails(t, "", "-n", "no-such-namespace", "create", "configmap", "x")
	mustContain(t, errOut, `namespaces "no-such-namespace" not found`)

	errOut = kFails(t, "", "delete", "namespace", "kube-system")
	mustContain(t, errOut, "this namespace may not be deleted")
}

func TestEventsAndLeasesColumns(t *testing.T) {
	ns := namespace(t, "e2e-events")
	k(t, "-n", ns, "create", "configmap", "subject")
	uid := k(t, "-n", ns, "get", "cm", "subject", "-o", "jsonpath={.metadata.uid}")
	now := time.Now().UTC().Format(time.RFC3339)
	event := `apiVersion: v1
kind: Event
metadata:
  name: subject.1
involvedObject:
  apiVersion: v1
  kind: ConfigMap
  name: subject
  namespace: ` + ns + `
  uid: ` + uid + `
reason: Reloaded
message: configuration reloaded
type: Normal
source:
  component: e2e
count: 3
firstTimestamp: "` + now + `"
lastTimestamp: "` + now + `"
`
	kIn(t, event, "-n", ns, "create", "-f", "-")
	rows := fields(k(t, "-n", ns, "get", "events"))
	if strings.Join(rows[0], " ") != "LAST SEEN TYPE REASON OBJECT MESSAGE" {
		t.Fatalf("get events header: %v", rows[0])
	}
	if strings.Join(rows[1][1:], " ") != "Normal Reloaded configmap/subject configuration reloaded" {
		t.Fatalf("get events row: %v", rows[1])
	}
	rows = fields(k(t, "-n", ns, "get", "ev", "-o", "wide"))
	if strings.Join(rows[0], " ") != "LAST SEEN TYPE REASON OBJECT SUBOBJECT SOURCE MESSAGE FIRST SEEN COUNT NAME" {
		t.Fatalf("get events -o wide header: %v", rows[0])
	}
	// describe finds the event through field selectors on involvedObject.
	mustContain(t, k(t, "-n", ns, "describe", "cm", "subject"), "Normal  Reloaded", "configuration reloaded")
	// kubectl events reads events.k8s.io/v1: the same event.
	rows = fields(k(t, "-n", ns, "events"))
	if strings.Join(rows[0], " ") != "LAST SEEN TYPE REASON OBJECT MESSAGE" || !strings.Contains(strings.Join(rows[1], " "), "Normal Reloaded ConfigMap/subject configuration reloaded") {
		t.Fatalf("kubectl events:\n%v", rows)
	}

	lease := "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: leader\nspec:\n  holderIdentity: node-a\n  leaseDurationSeconds: 15\n"
	kIn(t, lease, "-n", ns, "create", "-f", "-")
	rows = fields(k(t, "-n", ns, "get", "lease"))
	if strings.Join(rows[0], " ") != "NAME HOLDER AGE" || strings.Join(rows[1][:2], " ") != "leader node-a" {
		t.Fatalf("get lease:\n%v", rows)
	}
}

func TestGetWatch(t *testing.T) {
	ns := namespace(t, "e2e-watch")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	watcher := exec.CommandContext(ctx, kubectlBin, "--kubeconfig", kubeconfig, "-n", ns, "get", "cm", "-w", "--output-watch-events")
	stdout, err := watcher.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := watcher.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = watcher.Wait() }()

	lines := make(chan string)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
		close(lines)
	}()
	// Keep creating until the watch (which may start after the first
	// create) has reported an ADDED event for one of them.
	created := 0
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("kubectl get -w ended")
			}
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "ADDED" && strings.HasPrefix(f[1], "watched-") {
				k(t, "-n", ns, "delete", "cm", f[1])
				for line := range lines {
					if f2 := strings.Fields(line); len(f2) >= 2 && f2[0] == "DELETED" && f2[1] == f[1] {
						return
					}
				}
				t.Fatal("no DELETED event")
			}
		case <-tick.C:
			created++
			k(t, "-n", ns, "create", "configmap", "watched-"+strings.Repeat("x", created))
		case <-ctx.Done():
			t.Fatal("no ADDED event from kubectl get -w")
		}
	}
}

func TestNamespaceDeletion(t *testing.T) {
	k(t, "create", "namespace", "e2e-doomed")
	k(t, "-n", "e2e-doomed", "create", "configmap", "inside")
	mustContain(t, k(t, "delete", "namespace", "e2e-doomed", "--timeout=60s"), `namespace "e2e-doomed" deleted`)
	errOut := kFails(t, "", "get", "namespace", "e2e-doomed")
	mustContain(t, errOut, `namespaces "e2e-doomed" not found`)
}

func TestServiceAccountColumns(t *testing.T) {
	ns := namespace(t, "e2e-sa")
	mustContain(t, k(t, "-n", ns, "create", "serviceaccount", "builder"), "serviceaccount/builder created")
	// The service account controller adds "default" to every namespace.
	var rows [][]string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if rows = fields(k(t, "-n", ns, "get", "sa")); len(rows) == 3 {
			break
		}
	}
	if strings.Join(rows[0], " ") != "NAME AGE" || len(rows) != 3 || rows[1][0] != "builder" || rows[2][0] != "default" {
		t.Fatalf("get sa:\n%v", rows)
	}
	// The controller manager leads through a Lease, as upstream's does.
	rows = fields(k(t, "-n", "kube-system", "get", "lease", "kube-controller-manager"))
	if strings.Join(rows[0], " ") != "NAME HOLDER AGE" || rows[1][0] != "kube-controller-manager" || rows[1][1] == "" {
		t.Fatalf("get lease:\n%v", rows)
	}
}

func TestPodsAndServices(t *testing.T) {
	ns := namespace(t, "e2e-workloads")
	mustContain(t, k(t, "-n", ns, "run", "web", "--image=nginx:1.27", "--port=80"), "pod/web created")
	rows := fields(k(t, "-n", ns, "get", "pods"))
	if strings.Join(rows[0], " ") != "NAME READY STATUS RESTARTS AGE" || strings.Join(rows[1][:4], " ") != "web 0/1 Pending 0" {
		t.Fatalf("get pods:\n%v", rows)
	}
	rows = fields(k(t, "-n", ns, "get", "pods", "-o", "wide"))
	if strings.Join(rows[0], " ") != "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES" {
		t.Fatalf("get pods -o wide header: %v", rows[0])
	}
	// describe aligns columns per section; compare with single spaces.
	describe := strings.Join(strings.Fields(k(t, "-n", ns, "describe", "pod", "web")), " ")
	mustContain(t, describe, "QoS Class: BestEffort", "Image: nginx:1.27",
		"node.kubernetes.io/unreachable:NoExecute op=Exists for 300s", // DefaultTolerationSeconds admission
		"Warning FailedScheduling", "default-scheduler")

	mustContain(t, k(t, "-n", ns, "expose", "pod", "web", "--port=8080", "--target-port=80"), "service/web exposed")
	mustContain(t, k(t, "-n", ns, "create", "service", "nodeport", "edge", "--tcp=80:8080"), "service/edge created")
	rows = fields(k(t, "-n", ns, "get", "svc", "-o", "wide"))
	if strings.Join(rows[0], " ") != "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR" {
		t.Fatalf("get svc -o wide header: %v", rows[0])
	}
	byName := map[string][]string{}
	for _, row := range rows[1:] {
		byName[row[0]] = row
	}
	if web := byName["web"]; web[1] != "ClusterIP" || !strings.HasPrefix(web[2], "10.") || web[4] != "8080/TCP" || web[6] != "run=web" {
		t.Fatalf("web service row: %v", web)
	}
	if edge := byName["edge"]; edge[1] != "NodePort" || !strings.HasPrefix(edge[4], "80:3") {
		t.Fatalf("edge service row: %v", edge)
	}
	out := k(t, "-n", ns, "get", "all")
	mustContain(t, out, "pod/web", "service/web", "service/edge")
}

func TestReplicationControllersAndNodes(t *testing.T) {
	ns := namespace(t, "e2e-rc")
	rc := `apiVersion: v1
kind: ReplicationController
metadata:
  name: web
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
`
	kIn(t, rc, "-n", ns, "create", "-f", "-")
	mustContain(t, k(t, "-n", ns, "scale", "rc", "web", "--replicas=4"), "replicationcontroller/web scaled")
	// The replication controller makes the pods (Pending: nothing runs them here).
	waitForPods(t, ns, "app=web", 4)
	var rows [][]string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		rows = fields(k(t, "-n", ns, "get", "rc", "-o", "wide"))
		if len(rows) == 2 && strings.Join(rows[1][:3], " ") == "web 4 4" {
			break
		}
	}
	if strings.Join(rows[0], " ") != "NAME DESIRED CURRENT READY AGE CONTAINERS IMAGES SELECTOR" ||
		strings.Join(append(rows[1][:4:4], rows[1][5:]...), " ") != "web 4 4 0 web nginx:1.27 app=web" {
		t.Fatalf("get rc -o wide:\n%v", rows)
	}
	// kubectl describe shows the controller's events.
	mustContain(t, k(t, "-n", ns, "describe", "rc", "web"), "Pods Status:  0 Running / 4 Waiting / 0 Succeeded / 0 Failed",
		"SuccessfulCreate", "replication-controller", "Created pod: web-")

	node := `apiVersion: v1
kind: Node
metadata:
  name: e2e-node
  labels: {node-role.kubernetes.io/worker: ""}
status:
  conditions: [{type: Ready, status: "True"}]
  nodeInfo: {kubeletVersion: v1.37.2, osImage: Debian, kernelVersion: "6.1", containerRuntimeVersion: "runc://1.1", machineID: m, systemUUID: s, bootID: b, kubeProxyVersion: "", operatingSystem: linux, architecture: amd64}
`
	kIn(t, node, "create", "-f", "-")
	t.Cleanup(func() { _, _, _ = kubectl(t, "", nil, "delete", "node", "e2e-node") })
	mustContain(t, k(t, "cordon", "e2e-node"), "node/e2e-node cordoned")
	rows = fields(k(t, "get", "nodes", "e2e-node"))
	if strings.Join(rows[0], " ") != "NAME STATUS ROLES AGE VERSION" ||
		strings.Join([]string{rows[1][0], rows[1][1], rows[1][2], rows[1][4]}, " ") != "e2e-node Ready,SchedulingDisabled worker v1.37.2" {
		t.Fatalf("get nodes:\n%v", rows)
	}
}

func TestDeploymentsWithKubectl(t *testing.T) {
	ns := namespace(t, "e2e-apps")
	mustContain(t, k(t, "-n", ns, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2"), "deployment.apps/web created")
	mustContain(t, k(t, "-n", ns, "scale", "deployment", "web", "--replicas=3"), "deployment.apps/web scaled")
	mustContain(t, k(t, "-n", ns, "set", "image", "deployment/web", "nginx=nginx:1.28"), "deployment.apps/web image updated")
	// The deployment controller rolls out through replica sets. Without a
	// kubelet no pod becomes available, so the update to nginx:1.28 stops
	// after its one surge pod (25% of 3, rounded up), as upstream's would:
	// the old pods may not go while nothing is available (25% of 3, rounded
	// down, is 0 unavailable).
	var rows [][]string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		rows = fields(k(t, "-n", ns, "get", "deploy", "-o", "wide"))
		if len(rows) == 2 && rows[1][2] == "1" {
			break
		}
	}
	if strings.Join(rows[0], " ") != "NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR" ||
		strings.Join(append(rows[1][:4:4], rows[1][5:]...), " ") != "web 0/3 1 0 nginx nginx:1.28 app=web" {
		t.Fatalf("get deploy -o wide:\n%v", rows)
	}
	history := k(t, "-n", ns, "rollout", "history", "deployment/web")
	mustContain(t, history, "REVISION  CHANGE-CAUSE", "1         <none>", "2         <none>")
	if got := k(t, "-n", ns, "get", "deploy", "web", "-o", "jsonpath={.metadata.generation}"); got != "3" {
		t.Fatalf("generation after create, scale and set image: %s", got)
	}
	mustContain(t, k(t, "-n", ns, "get", "all"), "deployment.apps/web")

	mustContain(t, k(t, "-n", ns, "autoscale", "deployment", "web", "--max=5", "--cpu-percent=60"),
		"horizontalpodautoscaler.autoscaling/web autoscaled")
	// (REPLICAS is 0 until the autoscaler first syncs, then the 3 pods;
	// no pod here reports usage, so TARGETS stays unknown.)
	rows = fields(k(t, "-n", ns, "get", "hpa"))
	if strings.Join(rows[0], " ") != "NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE" ||
		strings.Join(rows[1][:6], " ") != "web Deployment/web cpu: <unknown>/60% 1 5" {
		t.Fatalf("get hpa:\n%v", rows)
	}

	ds := `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {disk: ssd}
      containers: [{name: agent, image: "busybox:1.36"}]
`
	mustContain(t, kIn(t, ds, "-n", ns, "apply", "-f", "-"), "daemonset.apps/agent created")
	rows = fields(k(t, "-n", ns, "get", "ds"))
	if strings.Join(rows[0], " ") != "NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE" ||
		strings.Join(rows[1][:7], " ") != "agent 0 0 0 0 0 disk=ssd" {
		t.Fatalf("get ds:\n%v", rows)
	}

	// A node with an SSD gets a daemon pod (Pending: no scheduler or kubelet here).
	kIn(t, `{"apiVersion":"v1","kind":"Node","metadata":{"name":"e2e-ssd","labels":{"disk":"ssd"}}}`, "create", "-f", "-")
	t.Cleanup(func() { _, _, _ = kubectl(t, "", nil, "delete", "node", "e2e-ssd") })
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		rows = fields(k(t, "-n", ns, "get", "ds"))
		if strings.Join(rows[1][:6], " ") == "agent 1 1 0 1 0" {
			break
		}
	}
	if strings.Join(rows[1][:6], " ") != "agent 1 1 0 1 0" {
		t.Fatalf("get ds with one matching node:\n%v", rows)
	}
	waitForPods(t, ns, "app=agent", 1)
	mustContain(t, k(t, "-n", ns, "set", "image", "ds/agent", "agent=busybox:1.37"), "daemonset.apps/agent image updated")
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if strings.Contains(k(t, "-n", ns, "rollout", "history", "ds/agent"), "2         <none>") {
			break
		}
	}
	mustContain(t, k(t, "-n", ns, "rollout", "history", "ds/agent"), "REVISION  CHANGE-CAUSE", "1         <none>", "2         <none>")
	mustContain(t, k(t, "-n", ns, "rollout", "history", "ds/agent", "--revision=1"), "busybox:1.36")
	mustContain(t, k(t, "-n", ns, "rollout", "undo", "ds/agent"), "daemonset.apps/agent rolled back")
	if got := k(t, "-n", ns, "get", "ds", "agent", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "busybox:1.36" {
		t.Fatalf("image after undo: %s", got)
	}
	// The undo makes revision 1's template the newest revision, 3.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if strings.Contains(k(t, "-n", ns, "rollout", "history", "ds/agent"), "3         <none>") {
			break
		}
	}
	history = k(t, "-n", ns, "rollout", "history", "ds/agent")
	mustContain(t, history, "2         <none>", "3         <none>")
	if strings.Contains(history, "1         <none>") {
		t.Fatalf("revision 1 should have become 3:\n%s", history)
	}
}

func TestIngressesWithKubectl(t *testing.T) {
	ns := namespace(t, "e2e-ingress")
	mustContain(t, k(t, "-n", ns, "create", "ingress", "shop", "--class=nginx", "--rule=shop.example.com/*=web:80,tls=shop-cert"),
		"ingress.networking.k8s.io/shop created")
	rows := fields(k(t, "-n", ns, "get", "ing"))
	if strings.Join(rows[0], " ") != "NAME CLASS HOSTS ADDRESS PORTS AGE" || strings.Join(rows[1][:5], " ") != "shop nginx shop.example.com 80, 443" {
		t.Fatalf("get ingress:\n%v", rows)
	}
}

func TestJobsCronJobsAndDescribe(t *testing.T) {
	ns := namespace(t, "e2e-batch")
	mustContain(t, k(t, "-n", ns, "create", "job", "pi", "--image=perl:5.34", "--", "perl", "-e", "print 1"), "job.batch/pi created")
	rows := fields(k(t, "-n", ns, "get", "jobs"))
	if strings.Join(rows[0], " ") != "NAME STATUS COMPLETIONS DURATION AGE" || strings.Join(rows[1][:3], " ") != "pi Running 0/1" {
		t.Fatalf("get jobs:\n%v", rows)
	}
	mustContain(t, k(t, "-n", ns, "create", "cronjob", "nightly", "--image=busybox:1.36", "--schedule=0 3 * * *"), "cronjob.batch/nightly created")
	rows = fields(k(t, "-n", ns, "get", "cronjobs"))
	if strings.Join(rows[0], " ") != "NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE" ||
		strings.Join(rows[1][:10], " ") != "nightly 0 3 * * * <none> False 0 <none>" {
		t.Fatalf("get cronjobs:\n%v", rows)
	}
	errOut := kFails(t, "", "-n", ns, "create", "cronjob", "broken", "--image=busybox", "--schedule=61 * * * *")
	mustContain(t, errOut, "spec.schedule")

	k(t, "-n", ns, "create", "deployment", "web", "--image=nginx:1.27")
	k(t, "-n", ns, "expose", "deployment", "web", "--port=80")
	mustContain(t, k(t, "-n", ns, "describe", "deploy", "web"), "Replicas:", "StrategyType:           RollingUpdate", "RollingUpdateStrategy:  25% max unavailable, 25% max surge")
	mustContain(t, k(t, "-n", ns, "describe", "svc", "web"), "Type:                     ClusterIP", "IP Families:              IPv4", "Port:                     <unset>  80/TCP")
	mustContain(t, k(t, "-n", ns, "describe", "job", "pi"), "Completions:      1", "Parallelism:      1")
}

func TestTaintsAndUncordon(t *testing.T) {
	node := "apiVersion: v1\nkind: Node\nmetadata:\n  name: e2e-taints\n"
	kIn(t, node, "create", "-f", "-")
	t.Cleanup(func() { _, _, _ = kubectl(t, "", nil, "delete", "node", "e2e-taints") })
	mustContain(t, k(t, "taint", "nodes", "e2e-taints", "dedicated=db:NoSchedule"), "node/e2e-taints tainted")
	mustContain(t, k(t, "cordon", "e2e-taints"), "node/e2e-taints cordoned")
	mustContain(t, k(t, "uncordon", "e2e-taints"), "node/e2e-taints uncordoned")
	out := k(t, "describe", "node", "e2e-taints")
	mustContain(t, out, "Taints:             dedicated=db:NoSchedule", "Unschedulable:      false")
	mustContain(t, kFails(t, "", "taint", "nodes", "e2e-taints", "bad=x:Sometimes"), "invalid taint effect")
}

func TestReplicaSetCreatesPods(t *testing.T) {
	ns := namespace(t, "e2e-rs")
	rs := `apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: frontend}
spec:
  replicas: 2
  selector: {matchLabels: {tier: frontend}}
  template:
    metadata: {labels: {tier: frontend}}
    spec:
      containers: [{name: php, image: "php:8-apache"}]
`
	mustContain(t, kIn(t, rs, "-n", ns, "apply", "-f", "-"), "replicaset.apps/frontend created")
	var rows [][]string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		rows = fields(k(t, "-n", ns, "get", "rs", "frontend"))
		if len(rows) == 2 && strings.Join(rows[1][:3], " ") == "frontend 2 2" {
			break
		}
	}
	if strings.Join(rows[1][:4], " ") != "frontend 2 2 0" {
		t.Fatalf("get rs:\n%v", rows)
	}
	pods := fields(k(t, "-n", ns, "get", "pods", "-l", "tier=frontend", "--no-headers"))
	if len(pods) != 2 || !strings.HasPrefix(pods[0][0], "frontend-") || pods[0][2] != "Pending" {
		t.Fatalf("pods of the replica set:\n%v", pods)
	}
	mustContain(t, k(t, "-n", ns, "scale", "rs", "frontend", "--replicas=1"), "replicaset.apps/frontend scaled")
	waitForPods(t, ns, "tier=frontend", 1)

	// The garbage collector takes the pods with their replica set; with
	// --cascade=foreground kubectl waits until they are gone.
	mustContain(t, k(t, "-n", ns, "delete", "rs", "frontend", "--cascade=foreground", "--timeout=60s"), `replicaset.apps "frontend" deleted`)
	waitForPods(t, ns, "tier=frontend", 0)
}

// waitForPods waits until the selector matches n pods.
func waitForPods(t *testing.T, ns, selector string, n int) {
	t.Helper()
	var out string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		out, _, _ = kubectl(t, "", nil, "-n", ns, "get", "pods", "-l", selector, "--no-headers")
		if strings.TrimSpace(out) == "" && n == 0 || len(fields(out)) == n && n > 0 {
			return
		}
	}
	t.Fatalf("want %d pods with %s, have:\n%s", n, selector, out)
}

// kubectl create poddisruptionbudget and its columns; the disruption
// controller fills ALLOWED DISRUPTIONS (0 here: no pod is selected).
func TestPodDisruptionBudgetsWithKubectl(t *testing.T) {
	ns := namespace(t, "e2e-pdb")
	mustContain(t, k(t, "-n", ns, "create", "poddisruptionbudget", "web", "--selector=app=web", "--min-available=2"),
		"poddisruptionbudget.policy/web created")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if got := k(t, "-n", ns, "get", "pdb", "web", "-o", "jsonpath={.status.observedGeneration}"); got == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the disruption controller never observed the budget")
		}
		time.Sleep(200 * time.Millisecond)
	}
	rows := fields(k(t, "-n", ns, "get", "pdb"))
	if strings.Join(rows[0], " ") != "NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE" || strings.Join(rows[1][:4], " ") != "web 2 N/A 0" {
		t.Errorf("kubectl get pdb:\n%v", rows)
	}
	errOut := kFails(t, "", "-n", ns, "create", "pdb", "bad", "--selector=app=web", "--min-available=150%")
	mustContain(t, errOut, "spec.minAvailable", "must not be greater than 100%")
}
