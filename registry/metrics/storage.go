package metrics

import (
	"context"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	corelisters "k8s.io/client-go/listers/core/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"
)

// NodeREST serves metrics.k8s.io nodes: one NodeMetrics per node with two
// readings, labelled as the node is (kubectl top nodes -l selects by them).
type NodeREST struct {
	Scraper *Scraper
	Nodes   corelisters.NodeLister
	rest.TableConvertor
}

// PodREST serves metrics.k8s.io pods: one PodMetrics per running pod with
// readings of its containers, labelled as the pod is.
type PodREST struct {
	Scraper *Scraper
	Pods    corelisters.PodLister
	rest.TableConvertor
}

var (
	_ rest.Getter               = &NodeREST{}
	_ rest.Lister               = &NodeREST{}
	_ rest.Scoper               = &NodeREST{}
	_ rest.SingularNameProvider = &NodeREST{}
	_ rest.Getter               = &PodREST{}
	_ rest.Lister               = &PodREST{}
	_ rest.Scoper               = &PodREST{}
	_ rest.SingularNameProvider = &PodREST{}
)

// NewNodeREST and NewPodREST wire the storages with default tables.
func NewNodeREST(s *Scraper, nodes corelisters.NodeLister) *NodeREST {
	return &NodeREST{Scraper: s, Nodes: nodes, TableConvertor: rest.NewDefaultTableConvertor(metricsv1beta1.Resource("nodes"))}
}

func NewPodREST(s *Scraper, pods corelisters.PodLister) *PodREST {
	return &PodREST{Scraper: s, Pods: pods, TableConvertor: rest.NewDefaultTableConvertor(metricsv1beta1.Resource("pods"))}
}

func (r *NodeREST) New() runtime.Object     { return &metricsv1beta1.NodeMetrics{} }
func (r *NodeREST) NewList() runtime.Object { return &metricsv1beta1.NodeMetricsList{} }
func (r *NodeREST) Destroy()                {}
func (r *NodeREST) NamespaceScoped() bool   { return false }
func (r *NodeREST) GetSingularName() string { return "node" }
func (r *PodREST) New() runtime.Object      { return &metricsv1beta1.PodMetrics{} }
func (r *PodREST) NewList() runtime.Object  { return &metricsv1beta1.PodMetricsList{} }
func (r *PodREST) Destroy()                 {}
func (r *PodREST) NamespaceScoped() bool    { return true }
func (r *PodREST) GetSingularName() string  { return "pod" }

// Get is the node's metrics; 404 for a node without two readings yet.
func (r *NodeREST) Get(_ context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	node, err := r.Nodes.Get(name)
	if err != nil {
		return nil, apierrors.NewNotFound(metricsv1beta1.Resource("nodes"), name)
	}
	m, ok := r.nodeMetrics(node)
	if !ok {
		return nil, apierrors.NewNotFound(metricsv1beta1.Resource("nodes"), name)
	}
	return m, nil
}

// List filters the nodes by label and field (metadata.name) selectors.
func (r *NodeREST) List(_ context.Context, opts *metainternalversion.ListOptions) (runtime.Object, error) {
	selector, fieldSelector := selectors(opts)
	nodes, err := r.Nodes.List(selector)
	if err != nil {
		return nil, err
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	list := &metricsv1beta1.NodeMetricsList{}
	for _, node := range nodes {
		if !fieldSelector.Matches(fields.Set{"metadata.name": node.Name}) {
			continue
		}
		if m, ok := r.nodeMetrics(node); ok {
			list.Items = append(list.Items, *m)
		}
	}
	return list, nil
}

func (r *NodeREST) nodeMetrics(node *corev1.Node) (*metricsv1beta1.NodeMetrics, bool) {
	u, ok := r.Scraper.node(node.Name)
	if !ok {
		return nil, false
	}
	return &metricsv1beta1.NodeMetrics{
		ObjectMeta: metav1.ObjectMeta{Name: node.Name, Labels: node.Labels, CreationTimestamp: metav1.Now()},
		Timestamp:  metav1.NewTime(u.timestamp), Window: metav1.Duration{Duration: u.window},
		Usage: corev1.ResourceList{corev1.ResourceCPU: u.cpu, corev1.ResourceMemory: u.memory},
	}, true
}

// Get is the pod's metrics; 404 for a pod without readings yet.
func (r *PodREST) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	namespace := genericapirequest.NamespaceValue(ctx)
	pod, err := r.Pods.Pods(namespace).Get(name)
	if err != nil {
		return nil, apierrors.NewNotFound(metricsv1beta1.Resource("pods"), name)
	}
	m, ok := r.podMetrics(pod)
	if !ok {
		return nil, apierrors.NewNotFound(metricsv1beta1.Resource("pods"), name)
	}
	return m, nil
}

// List filters the pods of the request's namespace (all of them without
// one) by label and field selectors (metadata.name, metadata.namespace).
func (r *PodREST) List(ctx context.Context, opts *metainternalversion.ListOptions) (runtime.Object, error) {
	selector, fieldSelector := selectors(opts)
	namespace := genericapirequest.NamespaceValue(ctx)
	var pods []*corev1.Pod
	var err error
	if namespace == "" {
		pods, err = r.Pods.List(selector)
	} else {
		pods, err = r.Pods.Pods(namespace).List(selector)
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(pods, func(i, j int) bool {
		return pods[i].Namespace+"/"+pods[i].Name < pods[j].Namespace+"/"+pods[j].Name
	})
	list := &metricsv1beta1.PodMetricsList{}
	for _, pod := range pods {
		if !fieldSelector.Matches(fields.Set{"metadata.name": pod.Name, "metadata.namespace": pod.Namespace}) {
			continue
		}
		if m, ok := r.podMetrics(pod); ok {
			list.Items = append(list.Items, *m)
		}
	}
	return list, nil
}

// podMetrics has every running container of the pod, or nothing: as
// metrics-server, a pod is only reported whole.
func (r *PodREST) podMetrics(pod *corev1.Pod) (*metricsv1beta1.PodMetrics, bool) {
	if pod.Status.Phase != corev1.PodRunning {
		return nil, false
	}
	var names []string
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	usages := r.Scraper.pod(pod.Namespace, pod.Name, names)
	if len(usages) == 0 || len(usages) < len(names) {
		return nil, false
	}
	m := &metricsv1beta1.PodMetrics{ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, Labels: pod.Labels, CreationTimestamp: metav1.Now()}}
	for _, name := range names {
		u := usages[name]
		if u.timestamp.After(m.Timestamp.Time) {
			m.Timestamp, m.Window = metav1.NewTime(u.timestamp), metav1.Duration{Duration: u.window}
		}
		m.Containers = append(m.Containers, metricsv1beta1.ContainerMetrics{Name: name,
			Usage: corev1.ResourceList{corev1.ResourceCPU: u.cpu, corev1.ResourceMemory: u.memory}})
	}
	return m, true
}

func selectors(opts *metainternalversion.ListOptions) (labels.Selector, fields.Selector) {
	selector, fieldSelector := labels.Everything(), fields.Everything()
	if opts != nil && opts.LabelSelector != nil {
		selector = opts.LabelSelector
	}
	if opts != nil && opts.FieldSelector != nil {
		fieldSelector = opts.FieldSelector
	}
	return selector, fieldSelector
}
