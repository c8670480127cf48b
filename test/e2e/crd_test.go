package e2e

import (
	"strings"
	"testing"
	"time"
)

const crontabCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.e2e.example.com
spec:
  group: e2e.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Spec, type: string, jsonPath: .spec.cronSpec}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - {rule: "self.replicas <= 10", message: "at most 10 replicas"}
            properties:
              cronSpec: {type: string, description: "The cron schedule."}
              image: {type: string}
              replicas: {type: integer, default: 1}
          status:
            type: object
            properties:
              replicas: {type: integer}
`

const crontab = `apiVersion: e2e.example.com/v1
kind: CronTab
metadata: {name: nightly}
spec: {cronSpec: "0 3 * * *", image: backup:1}
`

// Stock kubectl against a CustomResourceDefinition: apply, the printer
// columns, explain from the published schema, scale, server-side apply,
// the CEL rule's refusal, api-resources, and deletion with the objects.
func TestCustomResourcesWithKubectl(t *testing.T) {
	ns := namespace(t, "e2e-crd")
	mustContain(t, kIn(t, crontabCRD, "apply", "-f", "-"), "customresourcedefinition.apiextensions.k8s.io/crontabs.e2e.example.com created")
	t.Cleanup(func() { _, _, _ = kubectl(t, "", nil, "delete", "crd", "crontabs.e2e.example.com", "--wait=false") })
	k(t, "wait", "--for=condition=Established", "crd/crontabs.e2e.example.com", "--timeout=30s")

	// Discovery may lag the Established condition by a moment.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _, err := kubectl(t, crontab, nil, "-n", ns, "apply", "-f", "-")
		if err == nil {
			mustContain(t, out, "crontab.e2e.example.com/nightly created")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kubectl apply of a CronTab: %v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	rows := fields(k(t, "-n", ns, "get", "ct"))
	// Only the CRD's columns after the name, as upstream (no AGE unless
	// the CRD asks for it).
	if strings.Join(rows[0], " ") != "NAME SPEC REPLICAS" || strings.Join(rows[1], " ") != "nightly 0 3 * * * 1" {
		t.Errorf("kubectl get ct:\n%v", rows)
	}
	mustContain(t, k(t, "api-resources", "--api-group=e2e.example.com"), "crontabs", "ct", "e2e.example.com/v1", "true", "CronTab")
	mustContain(t, k(t, "explain", "crontab.spec"), "KIND:       CronTab", "GROUP:      e2e.example.com", "cronSpec\t<string>", "The cron schedule.")

	mustContain(t, k(t, "-n", ns, "scale", "ct", "nightly", "--replicas=3"), "crontab.e2e.example.com/nightly scaled")
	if got := k(t, "-n", ns, "get", "ct", "nightly", "-o", "jsonpath={.spec.replicas}"); got != "3" {
		t.Errorf("replicas after kubectl scale: %s", got)
	}
	errOut := kFails(t, "", "-n", ns, "patch", "ct", "nightly", "--type=merge", "-p", `{"spec":{"replicas":20}}`)
	mustContain(t, errOut, `The CronTab "nightly" is invalid`, "at most 10 replicas")
	ssa := strings.Replace(crontab, "backup:1", "backup:2", 1)
	mustContain(t, kIn(t, ssa, "-n", ns, "apply", "--server-side", "-f", "-"), "crontab.e2e.example.com/nightly serverside-applied")
	if got := k(t, "-n", ns, "get", "ct", "nightly", "-o", "jsonpath={.spec.image}"); got != "backup:2" {
		t.Errorf("image after server-side apply: %s", got)
	}

	k(t, "delete", "crd", "crontabs.e2e.example.com")
	errOut = kFails(t, "", "-n", ns, "get", "crontabs.e2e.example.com")
	mustContain(t, errOut, `the server doesn't have a resource type "crontabs" in group "e2e.example.com"`)
}
