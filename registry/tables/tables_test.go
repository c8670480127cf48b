package tables

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestConvertor(t *testing.T) {
	c := New([]metav1.TableColumnDefinition{Name, Age}, func(cm *corev1.ConfigMap) []interface{} {
		return []interface{}{cm.Name, Since(cm.CreationTimestamp)}
	})
	created := metav1.NewTime(time.Now().Add(-90 * time.Second))
	list := &corev1.ConfigMapList{
		ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "next"},
		Items:    []corev1.ConfigMap{{ObjectMeta: metav1.ObjectMeta{Name: "a", CreationTimestamp: created}}, {ObjectMeta: metav1.ObjectMeta{Name: "b"}}},
	}
	table, err := c.ConvertToTable(context.Background(), list, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(table.ColumnDefinitions) != 2 || table.ResourceVersion != "42" || table.Continue != "next" {
		t.Fatalf("table meta: %+v", table)
	}
	if len(table.Rows) != 2 || table.Rows[0].Cells[0] != "a" || table.Rows[0].Cells[1] != "90s" || table.Rows[1].Cells[1] != "<unknown>" {
		t.Fatalf("rows: %+v", table.Rows)
	}
	if table.Rows[0].Object.Object == nil {
		t.Fatal("rows carry no object: kubectl -o name and --show-labels need it")
	}

	table, err = c.ConvertToTable(context.Background(), &list.Items[0], &metav1.TableOptions{NoHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(table.ColumnDefinitions) != 0 || len(table.Rows) != 1 {
		t.Fatalf("single object without headers: %+v", table)
	}

	if _, err := c.ConvertToTable(context.Background(), &corev1.Secret{}, nil); err == nil {
		t.Fatal("a secret in a configmap table did not fail")
	}
}
