package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestFlowControlWithKubectl: the API Priority and Fairness configuration
// as stock kubectl shows it — upstream's bootstrap objects in matching
// order with upstream's columns — and a request classified by it (kubectl
// -v=8 prints APF's response headers).
func TestFlowControlWithKubectl(t *testing.T) {
	var rows [][]string
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows = fields(k(t, "get", "flowschemas"))
		if len(rows) > 1 && rows[len(rows)-1][0] == "catch-all" || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if strings.Join(rows[0], " ") != "NAME PRIORITYLEVEL MATCHINGPRECEDENCE DISTINGUISHERMETHOD AGE MISSINGPL" {
		t.Fatalf("get flowschemas header: %v", rows[0])
	}
	if got := strings.Join(rows[1][:4], " "); got != "exempt exempt 1 <none>" {
		t.Errorf("first flowschema: %v", rows[1])
	}
	if last := rows[len(rows)-1]; last[0] != "catch-all" || last[1] != "catch-all" || last[2] != "10000" {
		t.Errorf("last flowschema: %v", last)
	}
	mustContain(t, k(t, "get", "flowschemas"), "global-default", "system-leader-election", "service-accounts")

	rows = fields(k(t, "get", "prioritylevelconfigurations", "global-default", "exempt"))
	if strings.Join(rows[0], " ") != "NAME TYPE NOMINALCONCURRENCYSHARES QUEUES HANDSIZE QUEUELENGTHLIMIT AGE" {
		t.Fatalf("get prioritylevelconfigurations header: %v", rows[0])
	}
	if got := strings.Join(rows[1][:6], " "); got != "global-default Limited 20 128 6 50" {
		t.Errorf("global-default: %v", rows[1])
	}
	if got := strings.Join(rows[2][:3], " "); got != "exempt Exempt <none>" {
		t.Errorf("exempt: %v", rows[2])
	}

	// kubectl's verbose log shows the response headers APF adds.
	_, errOut, err := kubectl(t, "", nil, "get", "--raw", "/api/v1/namespaces/default", "-v=8")
	if err != nil {
		t.Fatalf("kubectl get --raw: %v\n%s", err, errOut)
	}
	mustContain(t, errOut, "X-Kubernetes-Pf-Flowschema-Uid", "X-Kubernetes-Pf-Prioritylevel-Uid")
}
