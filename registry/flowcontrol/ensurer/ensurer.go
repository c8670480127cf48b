// Package ensurer keeps API Priority and Fairness's bootstrap
// configuration in the cluster, as kube-apiserver does at start and every
// minute after:
//
//   - the mandatory objects (the exempt and catch-all FlowSchemas and
//     priority levels) always exist with their fixed spec;
//   - the suggested ones (system, leader-election, node-high,
//     workload-high, workload-low, global-default, ...) are created when
//     missing and kept current while their apf.kubernetes.io/autoupdate-spec
//     annotation is "true" (a newly created object, generation 1, counts as
//     true); an operator who sets it to "false" owns the object from then
//     on;
//   - objects the annotation marks as ours that the bootstrap configuration
//     no longer has are deleted.
//
// The objects come from k8s.io/apiserver's bootstrap package, the source
// kube-apiserver uses.
package ensurer

import (
	"context"
	"fmt"
	"strconv"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap"
	flowcontrolclient "k8s.io/client-go/kubernetes/typed/flowcontrol/v1"
	"k8s.io/klog/v2"

	"github.com/kybernetes/kybernetes/apis/flowcontrol"
)

// fieldManager is the manager the ensurer writes as, upstream's.
const fieldManager = "api-priority-and-fairness-config-producer-v1"

// Run ensures the configuration once (retrying every second until ctx
// ends, so the server's readiness waits for it), then every minute in the
// background until ctx ends.
func Run(ctx context.Context, client flowcontrolclient.FlowcontrolV1Interface) error {
	err := wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		if err := Ensure(ctx, client); err != nil {
			klog.ErrorS(err, "APF bootstrap ensurer ran into error, will retry later")
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("unable to initialize APF bootstrap configuration: %w", err)
	}
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		if err := Ensure(ctx, client); err != nil {
			klog.ErrorS(err, "APF bootstrap ensurer ran into error, will retry later")
		}
	}, time.Minute)
	return nil
}

// Ensure brings the cluster's configuration in line once: suggested, then
// mandatory, then removals, as upstream orders them.
func Ensure(ctx context.Context, client flowcontrolclient.FlowcontrolV1Interface) error {
	levels, schemas := levelOps(client), schemaOps(client)
	for _, step := range []func() error{
		func() error { return ensureAll(ctx, levels, bootstrap.SuggestedPriorityLevelConfigurations, false) },
		func() error { return ensureAll(ctx, schemas, bootstrap.SuggestedFlowSchemas, false) },
		func() error { return ensureAll(ctx, levels, bootstrap.MandatoryPriorityLevelConfigurations, true) },
		func() error { return ensureAll(ctx, schemas, bootstrap.MandatoryFlowSchemas, true) },
		func() error {
			return removeUnwanted(ctx, schemas, append(append([]*flowcontrolv1.FlowSchema{}, bootstrap.MandatoryFlowSchemas...), bootstrap.SuggestedFlowSchemas...))
		},
		func() error {
			return removeUnwanted(ctx, levels, append(append([]*flowcontrolv1.PriorityLevelConfiguration{}, bootstrap.MandatoryPriorityLevelConfigurations...), bootstrap.SuggestedPriorityLevelConfigurations...))
		},
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// object is a FlowSchema or PriorityLevelConfiguration pointer.
type object interface {
	*flowcontrolv1.FlowSchema | *flowcontrolv1.PriorityLevelConfiguration
	metav1.Object
}

// ops are the calls the ensurer makes for one kind.
type ops[T object] struct {
	get         func(ctx context.Context, name string) (T, error)
	create      func(ctx context.Context, obj T) error
	update      func(ctx context.Context, obj T) error
	list        func(ctx context.Context) ([]T, error)
	delete      func(ctx context.Context, name, resourceVersion string) error
	deepCopy    func(T) T
	specEqual   func(want, have T) bool
	replaceSpec func(into, from T)
}

func levelOps(client flowcontrolclient.FlowcontrolV1Interface) ops[*flowcontrolv1.PriorityLevelConfiguration] {
	c := client.PriorityLevelConfigurations()
	return ops[*flowcontrolv1.PriorityLevelConfiguration]{
		get: func(ctx context.Context, name string) (*flowcontrolv1.PriorityLevelConfiguration, error) {
			return c.Get(ctx, name, metav1.GetOptions{})
		},
		create: func(ctx context.Context, obj *flowcontrolv1.PriorityLevelConfiguration) error {
			_, err := c.Create(ctx, obj, metav1.CreateOptions{FieldManager: fieldManager})
			return err
		},
		update: func(ctx context.Context, obj *flowcontrolv1.PriorityLevelConfiguration) error {
			_, err := c.Update(ctx, obj, metav1.UpdateOptions{FieldManager: fieldManager})
			return err
		},
		list: func(ctx context.Context) ([]*flowcontrolv1.PriorityLevelConfiguration, error) {
			l, err := c.List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			var out []*flowcontrolv1.PriorityLevelConfiguration
			for i := range l.Items {
				out = append(out, &l.Items[i])
			}
			return out, nil
		},
		delete: func(ctx context.Context, name, rv string) error {
			return c.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}})
		},
		deepCopy: (*flowcontrolv1.PriorityLevelConfiguration).DeepCopy,
		// The stored level has the server's defaults; the exempt level's
		// spec.exempt is the operator's to tune.
		specEqual: func(want, have *flowcontrolv1.PriorityLevelConfiguration) bool {
			want = want.DeepCopy()
			flowcontrol.SetDefaultsPriorityLevelConfiguration(want)
			if want.Name == flowcontrolv1.PriorityLevelConfigurationNameExempt {
				if have.Spec.Exempt == nil {
					return false
				}
				want.Spec.Exempt = have.Spec.Exempt
			}
			return apiequality.Semantic.DeepEqual(want.Spec, have.Spec)
		},
		replaceSpec: func(into, from *flowcontrolv1.PriorityLevelConfiguration) { into.Spec = *from.Spec.DeepCopy() },
	}
}

func schemaOps(client flowcontrolclient.FlowcontrolV1Interface) ops[*flowcontrolv1.FlowSchema] {
	c := client.FlowSchemas()
	return ops[*flowcontrolv1.FlowSchema]{
		get: func(ctx context.Context, name string) (*flowcontrolv1.FlowSchema, error) {
			return c.Get(ctx, name, metav1.GetOptions{})
		},
		create: func(ctx context.Context, obj *flowcontrolv1.FlowSchema) error {
			_, err := c.Create(ctx, obj, metav1.CreateOptions{FieldManager: fieldManager})
			return err
		},
		update: func(ctx context.Context, obj *flowcontrolv1.FlowSchema) error {
			_, err := c.Update(ctx, obj, metav1.UpdateOptions{FieldManager: fieldManager})
			return err
		},
		list: func(ctx context.Context) ([]*flowcontrolv1.FlowSchema, error) {
			l, err := c.List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			var out []*flowcontrolv1.FlowSchema
			for i := range l.Items {
				out = append(out, &l.Items[i])
			}
			return out, nil
		},
		delete: func(ctx context.Context, name, rv string) error {
			return c.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}})
		},
		deepCopy: (*flowcontrolv1.FlowSchema).DeepCopy,
		specEqual: func(want, have *flowcontrolv1.FlowSchema) bool {
			want = want.DeepCopy()
			flowcontrol.SetDefaultsFlowSchema(want)
			return apiequality.Semantic.DeepEqual(want.Spec, have.Spec)
		},
		replaceSpec: func(into, from *flowcontrolv1.FlowSchema) { into.Spec = *from.Spec.DeepCopy() },
	}
}

func ensureAll[T object](ctx context.Context, o ops[T], boots []T, mandatory bool) error {
	for _, b := range boots {
		if err := ensure(ctx, o, b, mandatory); err != nil {
			return err
		}
	}
	return nil
}

// ensure creates boot when missing, or revises the stored object: its
// spec when it is to follow the bootstrap one, and the annotation that
// says whether it does.
func ensure[T object](ctx context.Context, o ops[T], boot T, mandatory bool) error {
	current, err := o.get(ctx, boot.GetName())
	if apierrors.IsNotFound(err) {
		err = o.create(ctx, o.deepCopy(boot))
		if err == nil || apierrors.IsAlreadyExists(err) {
			return nil // made meanwhile: looked at again in a minute
		}
		return fmt.Errorf("cannot create %s: %w", boot.GetName(), err)
	}
	if err != nil {
		return err
	}
	autoUpdate := mandatory || followsBootstrap(current)
	annotated := current.GetAnnotations()[flowcontrolv1.AutoUpdateAnnotationKey] == strconv.FormatBool(autoUpdate)
	specChanged := autoUpdate && !o.specEqual(boot, current)
	if annotated && !specChanged {
		return nil
	}
	revised := o.deepCopy(current)
	if specChanged {
		o.replaceSpec(revised, boot)
	}
	annotations := revised.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[flowcontrolv1.AutoUpdateAnnotationKey] = strconv.FormatBool(autoUpdate)
	revised.SetAnnotations(annotations)
	err = o.update(ctx, revised)
	if err == nil || apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil // changed meanwhile: looked at again in a minute
	}
	return fmt.Errorf("failed to update %s: %w", boot.GetName(), err)
}

// followsBootstrap reads the autoupdate annotation; without a readable
// one, an object never changed since it was made follows.
func followsBootstrap(obj metav1.Object) bool {
	if v, err := strconv.ParseBool(obj.GetAnnotations()[flowcontrolv1.AutoUpdateAnnotationKey]); err == nil {
		return v
	}
	return obj.GetGeneration() == 1
}

// removeUnwanted deletes the objects marked autoupdate-spec=true that the
// bootstrap configuration no longer has.
func removeUnwanted[T object](ctx context.Context, o ops[T], wanted []T) error {
	names := map[string]bool{}
	for _, w := range wanted {
		names[w.GetName()] = true
	}
	current, err := o.list(ctx)
	if err != nil {
		return err
	}
	for _, obj := range current {
		if names[obj.GetName()] {
			continue
		}
		if v, err := strconv.ParseBool(obj.GetAnnotations()[flowcontrolv1.AutoUpdateAnnotationKey]); err != nil || !v {
			continue
		}
		if err := o.delete(ctx, obj.GetName(), obj.GetResourceVersion()); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("failed to delete unwanted %s: %w", obj.GetName(), err)
		}
	}
	return nil
}
