// Package tables turns stored objects into the metav1.Table that kubectl
// prints, given a kind's columns and a function that fills one row.
package tables

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apiserver/pkg/registry/rest"
)

// Convertor is a rest.TableConvertor for one kind.
type Convertor struct {
	columns []metav1.TableColumnDefinition
	row     func(obj runtime.Object) ([]interface{}, error)
}

var _ rest.TableConvertor = &Convertor{}

// New builds a convertor for objects of type T; row returns the cells of one
// object's row in column order. Columns with Priority > 0 show only with
// -o wide.
func New[T runtime.Object](columns []metav1.TableColumnDefinition, row func(T) []interface{}) *Convertor {
	return &Convertor{columns: columns, row: func(obj runtime.Object) ([]interface{}, error) {
		typed, ok := obj.(T)
		if !ok {
			return nil, fmt.Errorf("cannot print %T in a table of %T", obj, *new(T))
		}
		return row(typed), nil
	}}
}

// Name is the NAME column every kind starts with.
var Name = metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name",
	Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]}

// Age is the AGE column: the time since creation, as kubectl prints it.
var Age = metav1.TableColumnDefinition{Name: "Age", Type: "string",
	Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]}

// ConvertToTable renders a single object or a list.
func (c *Convertor) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{}
	add := func(obj runtime.Object) error {
		cells, err := c.row(obj)
		if err != nil {
			return err
		}
		table.Rows = append(table.Rows, metav1.TableRow{Cells: cells, Object: runtime.RawExtension{Object: obj}})
		return nil
	}
	if meta.IsListType(object) {
		if err := meta.EachListItem(object, add); err != nil {
			return nil, err
		}
		if l, err := meta.ListAccessor(object); err == nil {
			table.ResourceVersion = l.GetResourceVersion()
			table.Continue = l.GetContinue()
			table.RemainingItemCount = l.GetRemainingItemCount()
		}
	} else {
		if err := add(object); err != nil {
			return nil, err
		}
		if m, err := meta.Accessor(object); err == nil {
			table.ResourceVersion = m.GetResourceVersion()
		}
	}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || !opts.NoHeaders {
		table.ColumnDefinitions = c.columns
	}
	return table, nil
}

// Since prints the time since t the way kubectl's AGE column does.
func Since(t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(t.Time))
}

// Containers prints the container names and images of a pod spec, comma
// separated, for the CONTAINERS and IMAGES columns of workloads.
func Containers(spec *corev1.PodSpec) (names, images string) {
	if spec == nil {
		return "", ""
	}
	var n, i []string
	for _, c := range spec.Containers {
		n = append(n, c.Name)
		i = append(i, c.Image)
	}
	return strings.Join(n, ","), strings.Join(i, ",")
}

// Selector prints a label selector as kubectl does, <none> when unset.
func Selector(s *metav1.LabelSelector) string {
	if s == nil {
		return "<none>"
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return "<error>"
	}
	return sel.String()
}

// AccessModes prints volume access modes in kubectl's short form (RWO, ...).
func AccessModes(modes []corev1.PersistentVolumeAccessMode) string {
	short := map[corev1.PersistentVolumeAccessMode]string{
		corev1.ReadWriteOnce: "RWO", corev1.ReadOnlyMany: "ROX", corev1.ReadWriteMany: "RWX", corev1.ReadWriteOncePod: "RWOP",
	}
	var out []string
	for _, m := range []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce, corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOncePod} {
		for _, have := range modes {
			if have == m {
				out = append(out, short[m])
				break
			}
		}
	}
	return strings.Join(out, ",")
}

// VolumeMode prints a volume mode, <unset> when there is none.
func VolumeMode(mode *corev1.PersistentVolumeMode) string {
	if mode == nil {
		return "<unset>"
	}
	return string(*mode)
}

// OrUnset prints an optional string, <unset> when there is none.
func OrUnset(s *string) string {
	if s == nil || *s == "" {
		return "<unset>"
	}
	return *s
}
