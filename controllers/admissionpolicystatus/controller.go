// Package admissionpolicystatus type-checks ValidatingAdmissionPolicies
// and writes what it finds to their status, as upstream's
// validatingadmissionpolicy-status-controller does: for each new
// generation, the library's TypeChecker compiles every expression against
// the OpenAPI schemas of the kinds the policy matches (read from the API
// server) and reports expressions that cannot work — a field the kind does
// not have, a type mismatch — as status.typeChecking.expressionWarnings,
// with status.observedGeneration saying which generation was checked.
package admissionpolicystatus

import (
	"context"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	validatingpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/cel/openapi/resolver"
	admissionregistrationv1apply "k8s.io/client-go/applyconfigurations/admissionregistration/v1"
	admissioninformers "k8s.io/client-go/informers/admissionregistration/v1"
	"k8s.io/client-go/kubernetes"
	admissionlisters "k8s.io/client-go/listers/admissionregistration/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// Name is upstream's controller name, also the field manager of status.
const Name = "validatingadmissionpolicy-status-controller"

// Controller writes type-checking results to policies' status.
type Controller struct {
	client   kubernetes.Interface
	checker  *validatingpolicy.TypeChecker
	policies admissionlisters.ValidatingAdmissionPolicyLister
	synced   []cache.InformerSynced
	queue    workqueue.TypedRateLimitingInterface[string]
}

// New returns the controller; mapper resolves the policies' resource
// rules to kinds.
func New(client kubernetes.Interface, policies admissioninformers.ValidatingAdmissionPolicyInformer, mapper meta.RESTMapper) *Controller {
	c := &Controller{
		client:   client,
		checker:  &validatingpolicy.TypeChecker{SchemaResolver: &resolver.ClientDiscoveryResolver{Discovery: client.Discovery()}, RestMapper: mapper},
		policies: policies.Lister(),
		synced:   []cache.InformerSynced{policies.Informer().HasSynced},
		queue:    runner.NewQueue(Name),
	}
	_, _ = policies.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj interface{}) { c.enqueue(obj) },
	})
	return c
}

func (c *Controller) enqueue(obj interface{}) {
	if p, ok := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy); ok && p.Generation > p.Status.ObservedGeneration {
		c.queue.Add(p.Name)
	}
}

// Run checks policies until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	runner.Run(ctx, Name, c.queue, c.synced, workers, runner.Always(c.sync))
}

func (c *Controller) sync(ctx context.Context, name string) error {
	policy, err := c.policies.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if policy.Generation <= policy.Status.ObservedGeneration {
		return nil
	}
	warnings := make([]*admissionregistrationv1apply.ExpressionWarningApplyConfiguration, 0)
	for _, w := range c.checker.Check(policy) {
		warnings = append(warnings, admissionregistrationv1apply.ExpressionWarning().WithFieldRef(w.FieldRef).WithWarning(w.Warning))
	}
	status := admissionregistrationv1apply.ValidatingAdmissionPolicy(name).WithStatus(
		admissionregistrationv1apply.ValidatingAdmissionPolicyStatus().
			WithObservedGeneration(policy.Generation).
			WithTypeChecking(admissionregistrationv1apply.TypeChecking().WithExpressionWarnings(warnings...)))
	_, err = c.client.AdmissionregistrationV1().ValidatingAdmissionPolicies().ApplyStatus(ctx, status, metav1.ApplyOptions{FieldManager: Name, Force: true})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
