// Package clusterroleaggregation fills the rules of ClusterRoles that have
// an aggregationRule with the rules of every ClusterRole their selectors
// match, as upstream's clusterrole-aggregation controller does: labelling
// a role rbac.authorization.k8s.io/aggregate-to-view=true adds its rules
// to view (and so to edit and admin).
package clusterroleaggregation

import (
	"context"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	rbacinformers "k8s.io/client-go/informers/rbac/v1"
	"k8s.io/client-go/kubernetes"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// Controller keeps aggregated roles' rules current.
type Controller struct {
	client kubernetes.Interface
	roles  rbaclisters.ClusterRoleLister
	synced cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
}

// New returns the controller; its queue holds the names of aggregated
// roles.
func New(client kubernetes.Interface, roles rbacinformers.ClusterRoleInformer) *Controller {
	c := &Controller{client: client, roles: roles.Lister(), synced: roles.Informer().HasSynced,
		queue: runner.NewQueue("clusterrole-aggregation")}
	// Any change of any role may change what an aggregated role gathers:
	// look at every aggregated role again.
	enqueueAll := func(interface{}) { c.enqueueAggregated() }
	_, _ = roles.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueueAll,
		UpdateFunc: func(_, obj interface{}) { enqueueAll(obj) },
		DeleteFunc: enqueueAll,
	})
	return c
}

func (c *Controller) enqueueAggregated() {
	all, err := c.roles.List(labels.Everything())
	if err != nil {
		return
	}
	for _, role := range all {
		if role.AggregationRule != nil {
			c.queue.Add(role.Name)
		}
	}
}

// Run aggregates until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	runner.Run(ctx, "clusterrole-aggregation", c.queue, []cache.InformerSynced{c.synced}, workers, runner.Always(c.sync))
}

// sync sets the role's rules to the union, without repeats, of the rules
// of the roles its selectors match, in the order of their names.
func (c *Controller) sync(ctx context.Context, name string) error {
	role, err := c.roles.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if role.AggregationRule == nil {
		return nil
	}
	var sources []*rbacv1.ClusterRole
	seen := map[string]bool{}
	for i := range role.AggregationRule.ClusterRoleSelectors {
		selector, err := metav1.LabelSelectorAsSelector(&role.AggregationRule.ClusterRoleSelectors[i])
		if err != nil {
			return nil // validation refuses such selectors; nothing to gather
		}
		matched, err := c.roles.List(selector)
		if err != nil {
			return err
		}
		for _, m := range matched {
			if m.Name != role.Name && !seen[m.Name] {
				seen[m.Name] = true
				sources = append(sources, m)
			}
		}
	}
	sort.Slice(sources, func(i, j int) bool { return sources[i].Name < sources[j].Name })
	var gathered []rbacv1.PolicyRule
	for _, source := range sources {
		for _, rule := range source.Rules {
			if !containsRule(gathered, rule) {
				gathered = append(gathered, *rule.DeepCopy())
			}
		}
	}
	if apiequality.Semantic.DeepEqual(gathered, role.Rules) || len(gathered) == 0 && len(role.Rules) == 0 {
		return nil
	}
	updated := role.DeepCopy()
	updated.Rules = gathered
	_, err = c.client.RbacV1().ClusterRoles().Update(ctx, updated, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func containsRule(rules []rbacv1.PolicyRule, rule rbacv1.PolicyRule) bool {
	for i := range rules {
		if apiequality.Semantic.DeepEqual(rules[i], rule) {
			return true
		}
	}
	return false
}
