package pod

import (
	"context"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/proxy"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	genericrest "k8s.io/apiserver/pkg/registry/generic/rest"
	"k8s.io/apiserver/pkg/registry/rest"
	translator "k8s.io/apiserver/pkg/util/proxy"
	"k8s.io/streaming/pkg/httpstream/wsstream"
)

// LogREST is pods/log: the container's log, streamed from its kubelet.
type LogREST struct {
	store   *genericregistry.Store
	kubelet *Kubelet
}

var _ rest.GetterWithOptions = &LogREST{}

func (r *LogREST) New() runtime.Object { return &corev1.Pod{} }
func (r *LogREST) Destroy()            {}

// ProducesMIMETypes says the log is plain text.
func (r *LogREST) ProducesMIMETypes(verb string) []string { return []string{"text/plain"} }

// ProducesObject says the log is not an API object.
func (r *LogREST) ProducesObject(verb string) interface{} { return "" }

func (r *LogREST) NewGetOptions() (runtime.Object, bool, string) {
	return &corev1.PodLogOptions{}, false, ""
}

// Get returns a streamer of the log from the kubelet's /containerLogs.
func (r *LogREST) Get(ctx context.Context, name string, opts runtime.Object) (runtime.Object, error) {
	options, ok := opts.(*corev1.PodLogOptions)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid options object: %#v", opts))
	}
	location, err := r.kubelet.location(ctx, r.store, name, target{"containerLogs", true}, options.Container, options)
	if err != nil {
		return nil, err
	}
	return &genericrest.LocationStreamer{
		Location:        location,
		Transport:       r.kubelet.Transport,
		ContentType:     "text/plain",
		Flush:           options.Follow,
		ResponseChecker: genericrest.NewGenericHttpResponseChecker(corev1.Resource("pods/log"), name),
		RedirectChecker: genericrest.PreventRedirects,
	}, nil
}

// StreamREST is pods/exec, pods/attach and pods/portforward: the request is
// upgraded (SPDY or WebSocket) and proxied to the kubelet's endpoint of
// the same name.
type StreamREST struct {
	store   *genericregistry.Store
	kubelet *Kubelet
	target  target
	options func() runtime.Object
	// container reads the container from the options (none for portforward).
	container func(runtime.Object) string
	// translate, when set, wraps the proxy to the kubelet.
	translate func(http.Handler) http.Handler
	// streams, for exec and attach, are the streams asked for: kubectl's
	// WebSocket (v5.channel.k8s.io, with stream close) is turned into SPDY
	// to the kubelet, as upstream's API server does it (kubelets speak
	// SPDY, and WebSocket only up to v4).
	streams func(runtime.Object) translator.Options
}

var _ rest.Connecter = &StreamREST{}

func (r *StreamREST) New() runtime.Object { return r.options() }
func (r *StreamREST) Destroy()            {}

func (r *StreamREST) NewConnectOptions() (runtime.Object, bool, string) {
	return r.options(), false, ""
}

func (r *StreamREST) ConnectMethods() []string { return []string{http.MethodGet, http.MethodPost} }

func (r *StreamREST) Connect(ctx context.Context, name string, opts runtime.Object, responder rest.Responder) (http.Handler, error) {
	location, err := r.kubelet.location(ctx, r.store, name, r.target, r.container(opts), opts)
	if err != nil {
		return nil, err
	}
	var handler http.Handler = proxy.NewUpgradeAwareHandler(location, r.kubelet.Transport, false, true, proxy.NewErrorResponder(responder))
	if r.translate != nil {
		handler = r.translate(handler)
	}
	if r.streams != nil {
		streams := translator.NewStreamTranslatorHandler(location, r.kubelet.Transport, 0, r.streams(opts))
		handler = translator.NewTranslatingHandler(handler, streams, wsstream.IsWebSocketRequestWithStreamCloseProtocol)
	}
	return handler, nil
}

func newExecREST(store *genericregistry.Store, kubelet *Kubelet) *StreamREST {
	return &StreamREST{store: store, kubelet: kubelet, target: target{"exec", true},
		options:   func() runtime.Object { return &corev1.PodExecOptions{} },
		container: func(o runtime.Object) string { return o.(*corev1.PodExecOptions).Container },
		streams: func(o runtime.Object) translator.Options {
			opts := o.(*corev1.PodExecOptions)
			return translator.Options{Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr, Tty: opts.TTY}
		}}
}

func newAttachREST(store *genericregistry.Store, kubelet *Kubelet) *StreamREST {
	return &StreamREST{store: store, kubelet: kubelet, target: target{"attach", true},
		options:   func() runtime.Object { return &corev1.PodAttachOptions{} },
		container: func(o runtime.Object) string { return o.(*corev1.PodAttachOptions).Container },
		streams: func(o runtime.Object) translator.Options {
			opts := o.(*corev1.PodAttachOptions)
			return translator.Options{Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr, Tty: opts.TTY}
		}}
}

func newPortForwardREST(store *genericregistry.Store, kubelet *Kubelet) *StreamREST {
	return &StreamREST{store: store, kubelet: kubelet, target: target{"portForward", false},
		options:   func() runtime.Object { return &corev1.PodPortForwardOptions{} },
		container: func(runtime.Object) string { return "" },
		// kubectl tunnels SPDY through a WebSocket; the kubelet is spoken
		// to in SPDY, as upstream's API server does it for kubelets that
		// do not advertise WebSocket support.
		translate: func(h http.Handler) http.Handler {
			return translator.NewTranslatingHandler(h, translator.NewTunnelingHandler(h), wsstream.IsWebSocketRequestWithTunnelingProtocol)
		}}
}
