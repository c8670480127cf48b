package static

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

const webManifest = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: app
    image: example.test/web:1
`

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadMakesUpstreamsStaticPods(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "web.yaml", webManifest)
	write(t, dir, "db.json", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"db","namespace":"data"},"spec":{"containers":[{"name":"db","image":"example.test/db:1"}]}}`)
	write(t, dir, ".web.yaml.swp", "not a manifest")
	write(t, dir, "broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec: {containers: []}\n")
	write(t, dir, "service.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")

	s := &Source{Path: dir, NodeName: "node-1"}
	pods, errs := s.Read()
	if len(pods) != 2 {
		t.Fatalf("pods %v, want web and db; errors %v", pods, errs)
	}
	web, db := pods["default/web-node-1"], pods["data/db-node-1"]
	if web == nil || db == nil {
		t.Fatalf("pods %v: want default/web-node-1 and data/db-node-1 (upstream's <name>-<node>)", pods)
	}
	if web.Spec.NodeName != "node-1" || web.Annotations[ConfigSourceAnnotation] != "file" ||
		web.Annotations[ConfigHashAnnotation] != string(web.UID) || len(web.UID) != 32 || web.Annotations[ConfigSeenAnnotation] == "" {
		t.Errorf("web: node %q, annotations %v, UID %q", web.Spec.NodeName, web.Annotations, web.UID)
	}
	if tol := web.Spec.Tolerations; len(tol) != 1 || tol[0].Operator != corev1.TolerationOpExists || tol[0].Effect != corev1.TaintEffectNoExecute {
		t.Errorf("tolerations %+v, want every NoExecute taint tolerated", tol)
	}
	if web.Spec.RestartPolicy != corev1.RestartPolicyAlways || web.Spec.Containers[0].ImagePullPolicy != corev1.PullIfNotPresent ||
		web.Spec.Containers[0].TerminationMessagePath != "/dev/termination-log" {
		t.Errorf("not defaulted as the API server would: %+v", web.Spec)
	}
	var msgs []string
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	all := strings.Join(msgs, "\n")
	if len(errs) != 2 || !strings.Contains(all, "broken.yaml: spec.containers: Required value") || !strings.Contains(all, "service.yaml: a Service, not a Pod") {
		t.Errorf("errors:\n%s\nwant the broken pod and the Service, each with its file", all)
	}

	// The same manifest is the same pod at the next read (and first seen
	// then); an edit makes a new one; another node's is another.
	again, _ := s.Read()
	if again["default/web-node-1"].UID != web.UID || again["default/web-node-1"].Annotations[ConfigSeenAnnotation] != web.Annotations[ConfigSeenAnnotation] {
		t.Errorf("a re-read changed the pod: %v", again["default/web-node-1"].ObjectMeta)
	}
	write(t, dir, "web.yaml", strings.Replace(webManifest, "web:1", "web:2", 1))
	edited, _ := s.Read()
	if edited["default/web-node-1"].UID == web.UID {
		t.Error("an edited manifest kept its pod's UID")
	}
	other, _ := (&Source{Path: dir, NodeName: "node-2"}).Read()
	if other["default/web-node-2"] == nil || other["default/web-node-2"].UID == edited["default/web-node-1"].UID {
		t.Error("another node's static pod must have a UID of its own")
	}

	// A single file as the path; a path that does not exist (yet) is no
	// error, as upstream.
	single, errs := (&Source{Path: filepath.Join(dir, "db.json"), NodeName: "n"}).Read()
	if len(single) != 1 || len(errs) != 0 {
		t.Errorf("a single file: %v, %v", single, errs)
	}
	if none, errs := (&Source{Path: filepath.Join(dir, "missing"), NodeName: "n"}).Read(); len(none) != 0 || len(errs) != 0 {
		t.Errorf("a missing directory: %v, %v", none, errs)
	}
}
