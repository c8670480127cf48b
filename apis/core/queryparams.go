package core

import (
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
)

// addQueryParameterConversions lets the parameter codec read the options of
// the pod subresources (log, exec, attach, portforward) from a request's
// query, by each field's JSON name, as upstream's generated conversions do.
func addQueryParameterConversions(scheme *runtime.Scheme) error {
	for _, options := range []any{&corev1.PodLogOptions{}, &corev1.PodExecOptions{}, &corev1.PodAttachOptions{},
		&corev1.PodPortForwardOptions{}, &corev1.PodProxyOptions{}, &corev1.ServiceProxyOptions{}, &corev1.NodeProxyOptions{}} {
		err := scheme.AddConversionFunc((*url.Values)(nil), options, func(a, b interface{}, _ conversion.Scope) error {
			return decodeQuery(*a.(*url.Values), reflect.ValueOf(b).Elem())
		})
		if err != nil {
			return err
		}
	}
	return nil
}

var timeType = reflect.TypeOf(metav1.Time{})

// decodeQuery sets the fields of the struct out from values by JSON name.
func decodeQuery(values url.Values, out reflect.Value) error {
	t := out.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue // TypeMeta and the like
		}
		given, ok := values[name]
		if !ok || len(given) == 0 {
			continue
		}
		if err := setField(out.Field(i), given); err != nil {
			return fmt.Errorf("query parameter %q: %w", name, err)
		}
	}
	return nil
}

func setField(field reflect.Value, given []string) error {
	if field.Kind() == reflect.Pointer {
		field.Set(reflect.New(field.Type().Elem()))
		field = field.Elem()
	}
	last := given[len(given)-1]
	switch {
	case field.Type() == timeType:
		var t metav1.Time
		if err := t.UnmarshalQueryParameter(last); err != nil {
			return err
		}
		field.Set(reflect.ValueOf(t))
	case field.Kind() == reflect.String:
		field.SetString(last)
	case field.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(last)
		if err != nil {
			return err
		}
		field.SetBool(b)
	case field.Kind() == reflect.Int32 || field.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil {
			return err
		}
		field.SetInt(n)
	case field.Kind() == reflect.Slice:
		slice := reflect.MakeSlice(field.Type(), len(given), len(given))
		for i, v := range given {
			if err := setField(slice.Index(i), []string{v}); err != nil {
				return err
			}
		}
		field.Set(slice)
	default:
		return fmt.Errorf("cannot decode into %s", field.Type())
	}
	return nil
}
