package pod

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion/queryparams"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
)

// NodeGetter reads a node, for finding the kubelet that runs a pod.
type NodeGetter func(ctx context.Context, name string) (*corev1.Node, error)

// Kubelet is how the API server reaches kubelets: their HTTPS endpoint
// (status.daemonEndpoints.kubeletEndpoint on the node's address), through a
// transport carrying the API server's kubelet client certificate.
type Kubelet struct {
	Nodes     NodeGetter
	Transport http.RoundTripper
}

// target is what a pod subresource reaches on the kubelet: the endpoint
// path, and whether the URL names a container (port-forward names the pod).
type target struct {
	path          string
	withContainer bool
}

// location is the kubelet URL of a pod subresource, with the request's
// options as query parameters. A pod that is not on a node, or a node with
// no reachable kubelet, is a clear error, as upstream.
func (k *Kubelet) location(ctx context.Context, pods *genericregistry.Store, name string, to target, container string, options runtime.Object) (*url.URL, error) {
	obj, err := pods.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	pod := obj.(*corev1.Pod)
	switch {
	case !to.withContainer:
	case container == "":
		if len(pod.Spec.Containers) != 1 {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %s", pod.Name, containerNames(pod)))
		}
		container = pod.Spec.Containers[0].Name
	case !hasContainer(pod, container):
		return nil, apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", container, pod.Name))
	}
	if pod.Spec.NodeName == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", pod.Name))
	}
	host, port, err := k.Endpoint(ctx, pod.Spec.NodeName)
	if err != nil {
		return nil, err
	}
	query := url.Values{}
	switch opts := options.(type) {
	case *corev1.PodExecOptions:
		query = streamParams(opts.Stdin, opts.Stdout, opts.Stderr, opts.TTY)
		query["command"] = opts.Command
	case *corev1.PodAttachOptions:
		query = streamParams(opts.Stdin, opts.Stdout, opts.Stderr, opts.TTY)
	case nil:
	default:
		if query, err = queryparams.Convert(options); err != nil {
			return nil, err
		}
	}
	query.Del("container")
	path := fmt.Sprintf("/%s/%s/%s", to.path, pod.Namespace, pod.Name)
	if to.withContainer {
		path += "/" + container
	}
	return &url.URL{
		Scheme:   "https",
		Host:     net.JoinHostPort(host, strconv.Itoa(port)),
		Path:     path,
		RawQuery: query.Encode(),
	}, nil
}

// Endpoint finds a node's kubelet: its internal address (else any address)
// and its daemon endpoint port.
func (k *Kubelet) Endpoint(ctx context.Context, nodeName string) (string, int, error) {
	node, err := k.Nodes(ctx, nodeName)
	if apierrors.IsNotFound(err) {
		return "", 0, apierrors.NewBadRequest(fmt.Sprintf("node %s of the pod does not exist", nodeName))
	}
	if err != nil {
		return "", 0, err
	}
	port := int(node.Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port == 0 {
		return "", 0, apierrors.NewServiceUnavailable(fmt.Sprintf("node %s has no kubelet endpoint: its kubelet has not reported one", nodeName))
	}
	for _, preferred := range []corev1.NodeAddressType{corev1.NodeInternalIP, corev1.NodeExternalIP, corev1.NodeHostName} {
		for _, addr := range node.Status.Addresses {
			if addr.Type == preferred && addr.Address != "" {
				return addr.Address, port, nil
			}
		}
	}
	return "", 0, apierrors.NewServiceUnavailable(fmt.Sprintf("node %s has no address to reach its kubelet", nodeName))
}

func hasContainer(pod *corev1.Pod, name string) bool {
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for _, c := range cs {
			if c.Name == name {
				return true
			}
		}
	}
	return false
}

func containerNames(pod *corev1.Pod) string {
	names := ""
	for i, c := range pod.Spec.Containers {
		if i > 0 {
			names += " "
		}
		names += c.Name
	}
	return "[" + names + "]"
}

// streamParams are exec's and attach's streams in the kubelet's query
// parameters, as upstream's API server asks any kubelet for them.
func streamParams(stdin, stdout, stderr, tty bool) url.Values {
	q := url.Values{}
	for name, on := range map[string]bool{"input": stdin, "output": stdout, "error": stderr, "tty": tty} {
		if on {
			q.Set(name, "1")
		}
	}
	return q
}
