// Package componentstatus serves core/v1 componentstatuses: read-only,
// computed on every request by probing the control plane's parts as
// upstream does: each etcd member, and the /healthz of the scheduler and the
// controller manager on their default ports.
package componentstatus

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kybernetes/kybernetes/registry/tables"
)

// Probe checks one component.
type Probe struct {
	Name  string
	Check func(ctx context.Context) error
}

// EtcdProbes probes each etcd member through its client endpoint, with
// the client certificates the server itself uses for etcd.
func EtcdProbes(endpoints []string, tlsInfo transport.TLSInfo) []Probe {
	probes := make([]Probe, 0, len(endpoints))
	for i, endpoint := range endpoints {
		probes = append(probes, Probe{Name: fmt.Sprintf("etcd-%d", i), Check: func(ctx context.Context) error {
			config := clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 2 * time.Second}
			if !tlsInfo.Empty() {
				tlsConfig, err := tlsInfo.ClientConfig()
				if err != nil {
					return err
				}
				config.TLS = tlsConfig
			}
			client, err := clientv3.New(config)
			if err != nil {
				return err
			}
			defer client.Close()
			_, err = client.Status(ctx, endpoint)
			return err
		}})
	}
	return probes
}

// HTTPProbe checks a component's /healthz over HTTPS, not verifying its
// self-signed certificate, as kube-apiserver probes the scheduler
// (127.0.0.1:10259) and the controller manager (127.0.0.1:10257).
func HTTPProbe(name, url string) Probe {
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	return Probe{Name: name, Check: func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "ok" {
			return fmt.Errorf("%s answered %d: %s", url, resp.StatusCode, body)
		}
		return nil
	}}
}

// DefaultProbes are upstream's: the scheduler and controller manager on
// their default secure ports, and every etcd member.
func DefaultProbes(etcdEndpoints []string, etcdTLS transport.TLSInfo) []Probe {
	return append([]Probe{
		HTTPProbe("scheduler", "https://127.0.0.1:10259/healthz"),
		HTTPProbe("controller-manager", "https://127.0.0.1:10257/healthz"),
	}, EtcdProbes(etcdEndpoints, etcdTLS)...)
}

// REST is the componentstatuses resource.
type REST struct {
	probes []Probe
}

var (
	_ rest.Getter = &REST{}
	_ rest.Lister = &REST{}
)

// NewREST returns the resource with the given probes.
func NewREST(probes []Probe) *REST { return &REST{probes: probes} }

func (r *REST) New() runtime.Object     { return &corev1.ComponentStatus{} }
func (r *REST) NewList() runtime.Object { return &corev1.ComponentStatusList{} }
func (r *REST) Destroy()                {}
func (r *REST) NamespaceScoped() bool   { return false }
func (r *REST) GetSingularName() string { return "componentstatus" }
func (r *REST) ShortNames() []string    { return []string{"cs"} }

func (r *REST) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	list := &corev1.ComponentStatusList{}
	for _, p := range r.probes {
		status := probe(ctx, p)
		if options != nil && options.LabelSelector != nil && !options.LabelSelector.Empty() {
			continue // component statuses carry no labels
		}
		if options != nil && options.FieldSelector != nil && !options.FieldSelector.Matches(fieldsOf(status)) {
			continue
		}
		list.Items = append(list.Items, *status)
	}
	return list, nil
}

func (r *REST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	for _, p := range r.probes {
		if p.Name == name {
			return probe(ctx, p), nil
		}
	}
	return nil, apierrors.NewNotFound(corev1.Resource("componentstatuses"), name)
}

func probe(ctx context.Context, p Probe) *corev1.ComponentStatus {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	condition := corev1.ComponentCondition{Type: corev1.ComponentHealthy, Status: corev1.ConditionTrue, Message: "ok"}
	if err := p.Check(ctx); err != nil {
		condition = corev1.ComponentCondition{Type: corev1.ComponentHealthy, Status: corev1.ConditionFalse, Error: err.Error()}
	}
	return &corev1.ComponentStatus{ObjectMeta: metav1.ObjectMeta{Name: p.Name}, Conditions: []corev1.ComponentCondition{condition}}
}

type fieldSet map[string]string

func (f fieldSet) Has(field string) bool   { _, ok := f[field]; return ok }
func (f fieldSet) Get(field string) string { return f[field] }

func fieldsOf(s *corev1.ComponentStatus) fieldSet {
	return fieldSet{"metadata.name": s.Name}
}

func (r *REST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return table.ConvertToTable(ctx, object, tableOptions)
}

var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	{Name: "Status", Type: "string", Description: "Status of the component conditions"},
	{Name: "Message", Type: "string", Description: "Message of the component conditions"},
	{Name: "Error", Type: "string", Description: "Error of the component conditions"},
}, func(s *corev1.ComponentStatus) []interface{} {
	status, message, errText := "Unknown", "", ""
	for _, c := range s.Conditions {
		if c.Type == corev1.ComponentHealthy {
			status = "Unhealthy"
			if c.Status == corev1.ConditionTrue {
				status = "Healthy"
			}
			message, errText = c.Message, c.Error
		}
	}
	return []interface{}{s.Name, status, message, errText}
})
