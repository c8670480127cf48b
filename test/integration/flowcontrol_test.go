package integration

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/registry/flowcontrol/ensurer"
)

// TestPriorityAndFairnessConfiguration: the server keeps upstream's
// bootstrap FlowSchemas and priority levels, refuses changes to the
// mandatory ones, puts suggested ones back unless an operator took them
// over, and validates with upstream's field paths.
func TestPriorityAndFairnessConfiguration(t *testing.T) {
	ctx := context.Background()
	fc := shared.Client.FlowcontrolV1()
	waitFor(t, "the bootstrap configuration", func(ctx context.Context) bool {
		for _, name := range []string{"exempt", "catch-all", "system-leader-election", "service-accounts", "global-default", "system-nodes"} {
			fs, err := fc.FlowSchemas().Get(ctx, name, metav1.GetOptions{})
			if err != nil || fs.Annotations[flowcontrolv1.AutoUpdateAnnotationKey] != "true" {
				return false
			}
		}
		for _, name := range []string{"exempt", "catch-all", "leader-election", "workload-low", "global-default", "node-high"} {
			if _, err := fc.PriorityLevelConfigurations().Get(ctx, name, metav1.GetOptions{}); err != nil {
				return false
			}
		}
		return true
	})

	t.Run("mandatory spec is fixed", func(t *testing.T) {
		pl, err := fc.PriorityLevelConfigurations().Get(ctx, "catch-all", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pl.Spec.Limited.NominalConcurrencyShares = ptr.To[int32](50)
		_, err = fc.PriorityLevelConfigurations().Update(ctx, pl, metav1.UpdateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec of 'catch-all' must equal the fixed value") {
			t.Errorf("changing catch-all: want 422, got %v", err)
		}
		exempt, err := fc.PriorityLevelConfigurations().Get(ctx, "exempt", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// spec.exempt of the exempt level is the operator's.
		lendable := exempt.Spec.Exempt.LendablePercent
		exempt.Spec.Exempt.LendablePercent = ptr.To[int32](10)
		tuned, err := fc.PriorityLevelConfigurations().Update(ctx, exempt, metav1.UpdateOptions{})
		if err != nil {
			t.Fatalf("tuning spec.exempt: %v", err)
		}
		tuned.Spec.Exempt.LendablePercent = lendable
		if _, err := fc.PriorityLevelConfigurations().Update(ctx, tuned, metav1.UpdateOptions{}); err != nil {
			t.Errorf("tuning spec.exempt back: %v", err)
		}
	})

	t.Run("suggested objects are kept unless taken over", func(t *testing.T) {
		pl, err := fc.PriorityLevelConfigurations().Get(ctx, "workload-low", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := *pl.Spec.Limited.NominalConcurrencyShares
		pl.Spec.Limited.NominalConcurrencyShares = ptr.To(want + 5)
		if _, err := fc.PriorityLevelConfigurations().Update(ctx, pl, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := ensurer.Ensure(ctx, fc); err != nil {
			t.Fatal(err)
		}
		pl, err = fc.PriorityLevelConfigurations().Get(ctx, "workload-low", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := *pl.Spec.Limited.NominalConcurrencyShares; got != want {
			t.Errorf("auto-updated level: shares %d, want them put back to %d", got, want)
		}
		pl.Annotations[flowcontrolv1.AutoUpdateAnnotationKey] = "false"
		pl.Spec.Limited.NominalConcurrencyShares = ptr.To(want + 5)
		if _, err := fc.PriorityLevelConfigurations().Update(ctx, pl, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if pl, err := fc.PriorityLevelConfigurations().Get(ctx, "workload-low", metav1.GetOptions{}); err == nil {
				pl.Annotations[flowcontrolv1.AutoUpdateAnnotationKey] = "true"
				_, _ = fc.PriorityLevelConfigurations().Update(ctx, pl, metav1.UpdateOptions{})
				_ = ensurer.Ensure(ctx, fc)
			}
		})
		if err := ensurer.Ensure(ctx, fc); err != nil {
			t.Fatal(err)
		}
		pl, err = fc.PriorityLevelConfigurations().Get(ctx, "workload-low", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := *pl.Spec.Limited.NominalConcurrencyShares; got != want+5 {
			t.Errorf("a level taken over (autoupdate-spec=false) was changed back: shares %d", got)
		}
		// A deleted suggested object comes back.
		if err := fc.FlowSchemas().Delete(ctx, "probes", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := ensurer.Ensure(ctx, fc); err != nil {
			t.Fatal(err)
		}
		if _, err := fc.FlowSchemas().Get(ctx, "probes", metav1.GetOptions{}); err != nil {
			t.Errorf("deleted suggested schema not recreated: %v", err)
		}
	})

	t.Run("validation", func(t *testing.T) {
		_, err := fc.FlowSchemas().Create(ctx, &flowcontrolv1.FlowSchema{
			ObjectMeta: metav1.ObjectMeta{Name: "it-bad"},
			Spec: flowcontrolv1.FlowSchemaSpec{
				MatchingPrecedence:  1,
				DistinguisherMethod: &flowcontrolv1.FlowDistinguisherMethod{Type: "ByColour"},
				Rules: []flowcontrolv1.PolicyRulesWithSubjects{{
					Subjects:         []flowcontrolv1.Subject{{Kind: flowcontrolv1.SubjectKindUser}},
					NonResourceRules: []flowcontrolv1.NonResourcePolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/a/*/b"}}},
				}},
			},
		}, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Fatalf("want 422, got %v", err)
		}
		for _, want := range []string{
			"spec.matchingPrecedence: Invalid value: 1: only the schema named 'exempt' may have matchingPrecedence 1",
			`spec.distinguisherMethod.type: Unsupported value`,
			"spec.priorityLevelConfiguration.name: Required value: must reference a priority level",
			"spec.rules[0].subjects[0].user: Required value: user is required when subject kind is 'User'",
			`spec.rules[0].nonResourceRules[0].nonResourceURLs[0]: Invalid value: "/a/*/b": wildcard can only do suffix matching`,
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		_, err = fc.PriorityLevelConfigurations().Create(ctx, &flowcontrolv1.PriorityLevelConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "it-bad"},
			Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Type: flowcontrolv1.PriorityLevelEnablementLimited,
				Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{LendablePercent: ptr.To[int32](101),
					LimitResponse: flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeQueue,
						Queuing: &flowcontrolv1.QueuingConfiguration{Queues: 4, HandSize: 8}}}},
		}, metav1.CreateOptions{})
		for _, want := range []string{
			"spec.limited.lendablePercent: Invalid value: 101: must be between 0 and 100, inclusive",
			"spec.limited.limitResponse.queuing.handSize: Invalid value: 8: should not be greater than queues (4)",
		} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
	})

	t.Run("defaults and columns", func(t *testing.T) {
		pl, err := fc.PriorityLevelConfigurations().Create(ctx, &flowcontrolv1.PriorityLevelConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: "it-defaults"},
			Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Type: flowcontrolv1.PriorityLevelEnablementLimited,
				Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{LimitResponse: flowcontrolv1.LimitResponse{
					Type: flowcontrolv1.LimitResponseTypeQueue, Queuing: &flowcontrolv1.QueuingConfiguration{}}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		deleteOnCleanup(t, func(ctx context.Context) error {
			return fc.PriorityLevelConfigurations().Delete(ctx, "it-defaults", metav1.DeleteOptions{})
		})
		l := pl.Spec.Limited
		if *l.NominalConcurrencyShares != 30 || *l.LendablePercent != 0 || l.LimitResponse.Queuing.Queues != 64 ||
			l.LimitResponse.Queuing.HandSize != 8 || l.LimitResponse.Queuing.QueueLengthLimit != 50 {
			t.Errorf("defaults: %+v %+v", l, l.LimitResponse.Queuing)
		}
		var table metav1.Table
		err = fc.RESTClient().Get().Resource("flowschemas").SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Do(ctx).Into(&table)
		if err != nil {
			t.Fatal(err)
		}
		var columns []string
		for _, c := range table.ColumnDefinitions {
			columns = append(columns, c.Name)
		}
		if got := strings.Join(columns, ","); got != "Name,PriorityLevel,MatchingPrecedence,DistinguisherMethod,Age,MissingPL" {
			t.Errorf("columns: %s", got)
		}
		// In matching order: exempt (precedence 1) first, catch-all last.
		first, last := table.Rows[0].Cells, table.Rows[len(table.Rows)-1].Cells
		if first[0] != "exempt" || last[0] != "catch-all" || last[5] != "False" {
			t.Errorf("first row %v, last row %v", first, last)
		}
	})
}

// TestPriorityAndFairnessIsolation: a user flooding the server is held to
// its priority level's seats and refused with 429 beyond them, while
// another user's requests all pass. Each request holds its seat for a
// while at a slow validating webhook, so that the flood really competes.
func TestPriorityAndFairnessIsolation(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	client := shared.Client
	var inWebhook atomic.Int32
	hook := startWebhook(t, "slow."+ns+".svc", func(_ string, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
		inWebhook.Add(1)
		defer inWebhook.Add(-1)
		time.Sleep(300 * time.Millisecond)
		return &admissionv1.AdmissionResponse{Allowed: true}
	})
	webhook := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: ns + "-slow"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         "slow.kybernetes.test",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: ptr.To(hook.URL + "/slow"), CABundle: hook.caBundle},
			Rules:        configMapRules(admissionregistrationv1.Create), NamespaceSelector: inNamespace(ns),
			SideEffects: ptr.To(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"},
		}}}
	if _, err := client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, webhook, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, func(ctx context.Context) error {
		return client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, webhook.Name, metav1.DeleteOptions{})
	})
	// A level of one share (about 3 of the server's 600 seats), lending
	// and borrowing nothing, refusing what does not fit; the noisy user's
	// requests are its.
	fc := client.FlowcontrolV1()
	if _, err := fc.PriorityLevelConfigurations().Create(ctx, &flowcontrolv1.PriorityLevelConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-noisy"},
		Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Type: flowcontrolv1.PriorityLevelEnablementLimited,
			Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{NominalConcurrencyShares: ptr.To[int32](1), LendablePercent: ptr.To[int32](0),
				BorrowingLimitPercent: ptr.To[int32](0), LimitResponse: flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeReject}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, func(ctx context.Context) error {
		return fc.PriorityLevelConfigurations().Delete(ctx, ns+"-noisy", metav1.DeleteOptions{})
	})
	if _, err := fc.FlowSchemas().Create(ctx, &flowcontrolv1.FlowSchema{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-noisy"},
		Spec: flowcontrolv1.FlowSchemaSpec{
			PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: ns + "-noisy"},
			MatchingPrecedence:         500,
			Rules: []flowcontrolv1.PolicyRulesWithSubjects{{
				Subjects:      []flowcontrolv1.Subject{{Kind: flowcontrolv1.SubjectKindUser, User: &flowcontrolv1.UserSubject{Name: ns + "-noisy"}}},
				ResourceRules: []flowcontrolv1.ResourcePolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}, Namespaces: []string{"*"}, ClusterScope: true}},
			}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deleteOnCleanup(t, func(ctx context.Context) error {
		return fc.FlowSchemas().Delete(ctx, ns+"-noisy", metav1.DeleteOptions{})
	})
	for _, user := range []string{ns + "-noisy", ns + "-quiet"} {
		if _, err := client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: user},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	noisy, quiet := as(t, ns+"-noisy"), as(t, ns+"-quiet")
	waitUntilAllowed(t, noisy, "create", "", "configmaps", ns)
	waitUntilAllowed(t, quiet, "create", "", "configmaps", ns)
	// The APF controller and the webhook plugin see the new objects a
	// moment later: wait until a noisy request is classified into the new
	// level (the response says so) and reaches the webhook.
	var n atomic.Int32
	create := func(ctx context.Context, who string) error {
		c := noisy
		if who == "quiet" {
			c = quiet
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", who, n.Add(1))}}
		// No client-side retries: a 429 is what is measured.
		return c.CoreV1().RESTClient().Post().Namespace(ns).Resource("configmaps").Body(cm).MaxRetries(0).Do(ctx).Error()
	}
	schema, err := fc.FlowSchemas().Get(ctx, ns+"-noisy", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "noisy requests classified by the new FlowSchema", func(ctx context.Context) bool {
		return flowSchemaOf(t, ns+"-noisy", ns) == string(schema.UID)
	})
	waitFor(t, "the webhook to see noisy creates", func(ctx context.Context) bool {
		before := n.Load() + 1
		return create(ctx, "noisy") == nil && len(hook.seen(fmt.Sprintf("noisy-%d", before))) > 0
	})

	var wg sync.WaitGroup
	var refused, passed atomic.Int32
	var other atomic.Value
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := create(ctx, "noisy")
			switch {
			case err == nil:
				passed.Add(1)
			case apierrors.IsTooManyRequests(err):
				refused.Add(1)
			default:
				other.Store(err)
			}
		}()
	}
	// Meanwhile the quiet user's requests, each also held at the webhook,
	// all pass.
	for i := range 5 {
		if err := create(ctx, "quiet"); err != nil {
			t.Errorf("quiet request %d during the flood: %v", i, err)
		}
	}
	wg.Wait()
	if err, _ := other.Load().(error); err != nil {
		t.Errorf("noisy request: %v", err)
	}
	if refused.Load() == 0 || passed.Load() == 0 {
		t.Errorf("the flood: %d passed, %d refused with 429; want some of each", passed.Load(), refused.Load())
	}
	t.Logf("flood of 40: %d passed, %d refused with 429", passed.Load(), refused.Load())
}

// flowSchemaOf is the UID of the FlowSchema that classified a list of
// configmaps by user, from APF's X-Kubernetes-PF-FlowSchema-UID response
// header.
func flowSchemaOf(t *testing.T, user, ns string) string {
	t.Helper()
	cfg := rest.CopyConfig(shared.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpClient.Get(cfg.Host + "/api/v1/namespaces/" + ns + "/configmaps?limit=1")
	if err != nil {
		return ""
	}
	_ = resp.Body.Close()
	return resp.Header.Get("X-Kubernetes-PF-FlowSchema-UID")
}
