package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chart is a small helm chart of the kind operators ship: a CRD (in crds/,
// installed first and waited for), an object of it, and a StatefulSet with
// a headless Service and a claim template on the default StorageClass.
var chart = map[string]string{
	"Chart.yaml":  "apiVersion: v2\nname: crontabs\nversion: 0.1.0\nappVersion: \"1.0\"\n",
	"values.yaml": "replicas: 2\nschedule: \"*/5 * * * *\"\n",
	"crds/crontab.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: crontabs.helm.example.com}
spec:
  group: helm.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Schedule, type: string, jsonPath: .spec.cronSpec}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [cronSpec]
            properties:
              cronSpec: {type: string}
`,
	"templates/crontab.yaml": `apiVersion: helm.example.com/v1
kind: CronTab
metadata: {name: {{ .Release.Name }}-tab}
spec:
  cronSpec: {{ .Values.schedule | quote }}
`,
	"templates/service.yaml": `apiVersion: v1
kind: Service
metadata: {name: {{ .Release.Name }}-web}
spec:
  clusterIP: None
  selector: {app: {{ .Release.Name }}-web}
  ports: [{port: 80}]
`,
	"templates/statefulset.yaml": `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: {{ .Release.Name }}-web}
spec:
  serviceName: {{ .Release.Name }}-web
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: {{ .Release.Name }}-web}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}-web}}
    spec:
      containers:
      - name: web
        image: busybox:1.36
        command: [sleep, "3600"]
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 10Mi}}
`,
}

// Stock helm v4 against kybernetes server: install a chart with a CRD and a
// StatefulSet (helm applies server-side), upgrade, roll back, list and
// uninstall, as a user would.
func TestHelmInstallsAChartWithACRD(t *testing.T) {
	dir := t.TempDir()
	chartDir := filepath.Join(dir, "crontabs")
	for name, content := range chart {
		path := filepath.Join(chartDir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	helm := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(helmBin, append([]string{"--kubeconfig", kubeconfig, "-n", "helm-e2e"}, args...)...)
		// helm's caches and settings stay in the test's directory.
		cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(dir, "cache"), "HELM_CONFIG_HOME="+filepath.Join(dir, "config"),
			"HELM_DATA_HOME="+filepath.Join(dir, "data"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helm %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() {
		_, _, _ = kubectl(t, "", nil, "delete", "namespace", "helm-e2e", "--wait=false")
		_, _, _ = kubectl(t, "", nil, "delete", "crd", "crontabs.helm.example.com", "--wait=false")
	})
	until := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); !ok(); time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}

	mustContain(t, helm("install", "demo", chartDir, "--create-namespace"), "NAME: demo", "STATUS: deployed", "REVISION: 1")
	mustContain(t, k(t, "-n", "helm-e2e", "get", "crontabs"), "demo-tab", "*/5 * * * *")
	mustContain(t, k(t, "-n", "helm-e2e", "get", "statefulset", "demo-web"), "demo-web")
	until("the StatefulSet's first claim", func() bool {
		out, _, _ := kubectl(t, "", nil, "-n", "helm-e2e", "get", "pvc", "data-demo-web-0", "-o", "jsonpath={.spec.storageClassName}")
		return out == "local-path"
	})

	mustContain(t, helm("upgrade", "demo", chartDir, "--set", "schedule=0 * * * *"), "STATUS: deployed", "REVISION: 2")
	mustContain(t, k(t, "-n", "helm-e2e", "get", "crontab", "demo-tab", "-o", "jsonpath={.spec.cronSpec}"), "0 * * * *")
	list := helm("list")
	mustContain(t, list, "demo", "deployed", "crontabs-0.1.0")
	mustContain(t, helm("history", "demo"), "superseded", "Upgrade complete")

	helm("rollback", "demo", "1")
	mustContain(t, k(t, "-n", "helm-e2e", "get", "crontab", "demo-tab", "-o", "jsonpath={.spec.cronSpec}"), "*/5 * * * *")

	mustContain(t, helm("uninstall", "demo"), `release "demo" uninstalled`)
	until("the release's objects gone", func() bool {
		out, _, err := kubectl(t, "", nil, "-n", "helm-e2e", "get", "statefulsets,services,crontabs", "-o", "name")
		return err == nil && strings.TrimSpace(out) == ""
	})
	// As helm documents: the CRD of crds/ stays.
	mustContain(t, k(t, "get", "crd", "crontabs.helm.example.com", "-o", "name"), "crontabs.helm.example.com")
}
