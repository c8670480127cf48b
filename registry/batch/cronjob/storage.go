// Package cronjob serves batch/v1 cronjobs with their status subresource.
package cronjob

import (
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/utils/ptr"

	"github.com/kybernetes/kybernetes/apis/batch"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

// REST is the cronjobs resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get cj` work.
func (*REST) ShortNames() []string { return []string{"cj"} }

// Categories puts cron jobs in `kubectl get all`.
func (*REST) Categories() []string { return []string{"all"} }

// NewREST returns the cronjobs storage and its status subresource.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, error) {
	s := strategy.New[*batchv1.CronJob](scheme.Scheme, true)
	s.ValidateObject = batch.ValidateCronJob
	s.ValidateObjectUpdate = batch.ValidateCronJobUpdate
	status := s.SplitStatus("batch/v1", true)
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   batchv1.Resource("cronjobs"),
		Singular: batchv1.Resource("cronjob"),
		New:      func() runtime.Object { return &batchv1.CronJob{} },
		NewList:  func() runtime.Object { return &batchv1.CronJobList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, err
	}
	return &REST{store}, strategy.NewStatusREST(store, status), nil
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Schedule", Type: "string", Description: batchv1.CronJobSpec{}.SwaggerDoc()["schedule"]},
	{Name: "Timezone", Type: "string", Description: batchv1.CronJobSpec{}.SwaggerDoc()["timeZone"]},
	{Name: "Suspend", Type: "boolean", Description: batchv1.CronJobSpec{}.SwaggerDoc()["suspend"]},
	{Name: "Active", Type: "integer", Description: batchv1.CronJobStatus{}.SwaggerDoc()["active"]},
	{Name: "Last Schedule", Type: "string", Description: batchv1.CronJobStatus{}.SwaggerDoc()["lastScheduleTime"]},
	tables.Age,
	{Name: "Containers", Type: "string", Priority: 1, Description: "Names of each container in the template."},
	{Name: "Images", Type: "string", Priority: 1, Description: "Images referenced by each container in the template."},
	{Name: "Selector", Type: "string", Priority: 1, Description: batchv1.JobSpec{}.SwaggerDoc()["selector"]},
}, func(cj *batchv1.CronJob) []interface{} {
	last := "<none>"
	if cj.Status.LastScheduleTime != nil {
		last = tables.Since(*cj.Status.LastScheduleTime)
	}
	names, images := tables.Containers(&cj.Spec.JobTemplate.Spec.Template.Spec)
	suspend := "<unset>"
	if cj.Spec.Suspend != nil {
		suspend = "False"
		if *cj.Spec.Suspend {
			suspend = "True"
		}
	}
	return []interface{}{cj.Name, cj.Spec.Schedule, ptr.Deref(cj.Spec.TimeZone, "<none>"), suspend,
		int64(len(cj.Status.Active)), last, tables.Since(cj.CreationTimestamp), names, images,
		strings.TrimSpace(tables.Selector(cj.Spec.JobTemplate.Spec.Selector))}
})
