// Package proxy is the node's service proxy: it watches Services and
// EndpointSlices through client-go, the way kube-proxy does, and programs
// the node's iptables so that every Service address reaches its endpoints.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	discoveryinformers "k8s.io/client-go/informers/discovery/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"

	"github.com/kybernetes/kybernetes/proxy/conntrack"
	"github.com/kybernetes/kybernetes/proxy/healthcheck"
	"github.com/kybernetes/kybernetes/proxy/iptables"
	"github.com/kybernetes/kybernetes/proxy/state"
)

// Options are the proxy's flags, with kube-proxy's names and defaults.
type Options struct {
	Kubeconfig         string
	HostnameOverride   string
	ProxyMode          string
	ClusterCIDR        string
	MasqueradeAll      bool
	MasqueradeBit      int
	NodePortAddresses  []string
	MinSyncPeriod      time.Duration
	SyncPeriod         time.Duration
	HealthzBindAddress string
	MetricsBindAddress string
	Cleanup            bool
}

// DefaultOptions are kube-proxy's defaults.
func DefaultOptions() Options {
	return Options{ProxyMode: "iptables", MasqueradeBit: 14, MinSyncPeriod: time.Second, SyncPeriod: 30 * time.Second,
		HealthzBindAddress: "0.0.0.0:10256", MetricsBindAddress: "127.0.0.1:10249"}
}

// AddFlags registers the options.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig file with the proxy's credentials (the server writes <data-dir>/proxy.kubeconfig).")
	fs.StringVar(&o.HostnameOverride, "hostname-override", o.HostnameOverride, "If non-empty, will be used as the name of the Node that kube-proxy is running on.")
	fs.StringVar(&o.ProxyMode, "proxy-mode", o.ProxyMode, "Which proxy mode to use: only 'iptables' is implemented.")
	fs.StringVar(&o.ClusterCIDR, "cluster-cidr", o.ClusterCIDR, "The CIDR range of the pods in the cluster; traffic to a cluster IP from outside it is masqueraded.")
	fs.BoolVar(&o.MasqueradeAll, "masquerade-all", o.MasqueradeAll, "SNAT all traffic sent via Service cluster IPs.")
	fs.IntVar(&o.MasqueradeBit, "iptables-masquerade-bit", o.MasqueradeBit, "The bit of the fwmark space to mark packets requiring SNAT with. Must be within [0, 31].")
	fs.StringSliceVar(&o.NodePortAddresses, "nodeport-addresses", o.NodePortAddresses, "CIDRs of the local addresses that NodePort services answer on; empty means all local addresses.")
	fs.DurationVar(&o.MinSyncPeriod, "iptables-min-sync-period", o.MinSyncPeriod, "The minimum period between iptables rule resyncs (e.g. '5s', '1m', '2h22m').")
	fs.DurationVar(&o.SyncPeriod, "iptables-sync-period", o.SyncPeriod, "An interval (e.g. '5s', '1m', '2h22m') indicating how frequently various re-synchronizing and cleanup operations are performed.")
	fs.StringVar(&o.HealthzBindAddress, "healthz-bind-address", o.HealthzBindAddress, "The IP address and port for the health check server to serve on; empty to disable.")
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", o.MetricsBindAddress, "The IP address and port for the metrics server to serve on; empty to disable.")
	fs.BoolVar(&o.Cleanup, "cleanup", o.Cleanup, "If true cleanup iptables rules and exit.")
}

func (o *Options) validate() error {
	if o.ProxyMode != "" && o.ProxyMode != "iptables" {
		return fmt.Errorf("--proxy-mode %q: only iptables is implemented", o.ProxyMode)
	}
	if o.MasqueradeBit < 0 || o.MasqueradeBit > 31 {
		return fmt.Errorf("--iptables-masquerade-bit %d: must be within [0, 31]", o.MasqueradeBit)
	}
	if o.ClusterCIDR != "" {
		if _, n, err := net.ParseCIDR(o.ClusterCIDR); err != nil || n.IP.To4() == nil {
			return fmt.Errorf("--cluster-cidr %q: not an IPv4 CIDR", o.ClusterCIDR)
		}
	}
	for _, c := range o.NodePortAddresses {
		if _, _, err := net.ParseCIDR(c); err != nil {
			return fmt.Errorf("--nodeport-addresses %q: %v", c, err)
		}
	}
	if o.SyncPeriod <= 0 || o.MinSyncPeriod < 0 {
		return errors.New("--iptables-sync-period must be positive and --iptables-min-sync-period not negative")
	}
	return nil
}

// Run runs the proxy until ctx ends, or cleans up and returns with --cleanup.
func Run(ctx context.Context, o Options) error {
	if err := o.validate(); err != nil {
		return err
	}
	syncer, err := iptables.NewSyncer(iptables.Config{
		MasqueradeBit: o.MasqueradeBit, MasqueradeAll: o.MasqueradeAll,
		ClusterCIDR: o.ClusterCIDR, NodePortAddresses: o.NodePortAddresses,
	})
	if err != nil {
		return err
	}
	if o.Cleanup {
		return syncer.Cleanup()
	}
	config, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		return fmt.Errorf("--kubeconfig: %w", err)
	}
	config.UserAgent = "kybernetes-proxy"
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	node := o.HostnameOverride
	if node == "" {
		if node, err = os.Hostname(); err != nil {
			return err
		}
	}
	node = strings.ToLower(strings.TrimSpace(node))

	p := newProxier(client, syncer, node, o)
	if err := p.serve(ctx, o); err != nil {
		return err
	}
	klog.InfoS("Using iptables proxy", "backend", syncer.Backend(), "node", node)
	return p.run(ctx)
}

// ruleSyncer writes a snapshot into the node's packet filter.
type ruleSyncer interface {
	EnsureJumps() error
	// Sync writes snap; changed names the services whose own chains must
	// be rewritten, nil meaning all (a full sync).
	Sync(snap *state.Snapshot, changed map[types.NamespacedName]bool) (*iptables.Tables, error)
}

// proxier ties the watches to the syncer: every change queues a sync; a
// sync reads the whole state from the informers' caches and writes it.
type proxier struct {
	client        kubernetes.Interface
	syncer        ruleSyncer
	node          string
	minSync       time.Duration
	syncPeriod    time.Duration
	services      corelisters.ServiceLister
	slices        discoverylisters.EndpointSliceLister
	synced        []cache.InformerSynced
	informers     []cache.SharedIndexInformer
	health        *healthcheck.ProxyHealth
	serviceHealth *healthcheck.ServiceHealth
	metrics       *metrics
	trigger       chan struct{}

	mu sync.Mutex
	// changedAt are the times of the changes since the last sync, for the
	// network programming latency; changedServices are the services they
	// touched, whose chains a partial sync rewrites.
	changedAt       []time.Time
	changedServices map[types.NamespacedName]bool
	// reported are the skips already announced by an event.
	reported map[state.Skip]bool
	events   events.EventRecorder
	// last is the snapshot of the last successful sync, against which the
	// next finds stale UDP flows; deleteFlows removes them.
	last        *state.Snapshot
	deleteFlows func([]conntrack.Flow)
}

// proxyLabels is what kube-proxy selects: not Services meant for another
// proxy, not headless ones.
func proxyLabels() string {
	noProxyName, _ := labels.NewRequirement("service.kubernetes.io/service-proxy-name", selection.DoesNotExist, nil)
	noHeadless, _ := labels.NewRequirement(corev1.IsHeadlessService, selection.DoesNotExist, nil)
	return labels.NewSelector().Add(*noProxyName, *noHeadless).String()
}

func newProxier(client kubernetes.Interface, syncer ruleSyncer, node string, o Options) *proxier {
	selector := proxyLabels()
	services := coreinformers.NewFilteredServiceInformer(client, metav1.NamespaceAll, o.SyncPeriod*10, cache.Indexers{}, func(opts *metav1.ListOptions) {
		opts.LabelSelector = selector
		opts.FieldSelector = fields.OneTermNotEqualSelector("spec.clusterIP", corev1.ClusterIPNone).String()
	})
	slices := discoveryinformers.NewFilteredEndpointSliceInformer(client, metav1.NamespaceAll, o.SyncPeriod*10, cache.Indexers{}, func(opts *metav1.ListOptions) {
		opts.LabelSelector = selector
	})
	health := healthcheck.NewProxyHealth(2 * o.SyncPeriod)
	p := &proxier{
		client: client, syncer: syncer, node: node, minSync: o.MinSyncPeriod, syncPeriod: o.SyncPeriod,
		services:      corelisters.NewServiceLister(services.GetIndexer()),
		slices:        discoverylisters.NewEndpointSliceLister(slices.GetIndexer()),
		informers:     []cache.SharedIndexInformer{services, slices},
		health:        health,
		serviceHealth: healthcheck.NewServiceHealth(health),
		metrics:       newMetrics(),
		trigger:       make(chan struct{}, 1),
		reported:      map[state.Skip]bool{},
		deleteFlows:   conntrack.Delete,
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { p.changed(obj) },
		UpdateFunc: func(_, obj interface{}) { p.changed(obj) },
		DeleteFunc: func(obj interface{}) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			p.changed(obj)
		},
	}
	// Waiting on the handlers' registrations, not the informers, means the
	// first sync has seen every object the handlers were told about.
	for _, inf := range []cache.SharedIndexInformer{services, slices} {
		registration, err := inf.AddEventHandler(handler)
		if err == nil {
			p.synced = append(p.synced, registration.HasSynced)
		}
	}
	return p
}

// changed queues a sync. An EndpointSlice's last-change-trigger-time is
// when the change that led to it happened (a pod became ready), which is
// where network programming latency starts.
func (p *proxier) changed(obj interface{}) {
	at := time.Now()
	var service types.NamespacedName
	switch o := obj.(type) {
	case *discoveryv1.EndpointSlice:
		if t, err := time.Parse(time.RFC3339, o.Annotations[corev1.EndpointsLastChangeTriggerTime]); err == nil && t.Before(at) {
			at = t
		}
		service = types.NamespacedName{Namespace: o.Namespace, Name: o.Labels[discoveryv1.LabelServiceName]}
	case *corev1.Service:
		service = types.NamespacedName{Namespace: o.Namespace, Name: o.Name}
	}
	p.mu.Lock()
	p.changedAt = append(p.changedAt, at)
	if p.changedServices == nil {
		p.changedServices = map[types.NamespacedName]bool{}
	}
	p.changedServices[service] = true
	p.mu.Unlock()
	p.health.Queued()
	p.metrics.lastQueued.WithLabelValues(family).SetToCurrentTime()
	select {
	case p.trigger <- struct{}{}:
	default:
	}
}

// serve starts the health and metrics servers.
func (p *proxier) serve(ctx context.Context, o Options) error {
	listen := func(address string, mux *http.ServeMux) error {
		if address == "" {
			return nil
		}
		l, err := net.Listen("tcp", address)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(l) }()
		go func() { <-ctx.Done(); _ = srv.Close() }()
		return nil
	}
	health := http.NewServeMux()
	health.Handle("/healthz", p.health)
	health.Handle("/livez", p.health)
	if err := listen(o.HealthzBindAddress, health); err != nil {
		return fmt.Errorf("--healthz-bind-address: %w", err)
	}
	metricsMux := http.NewServeMux()
	metricsMux.Handle("/metrics", promhttp.HandlerFor(p.metrics.registry, promhttp.HandlerOpts{}))
	metricsMux.HandleFunc("/proxyMode", func(w http.ResponseWriter, _ *http.Request) { _, _ = fmt.Fprint(w, "iptables") })
	metricsMux.Handle("/healthz", p.health)
	if err := listen(o.MetricsBindAddress, metricsMux); err != nil {
		return fmt.Errorf("--metrics-bind-address: %w", err)
	}
	return nil
}

// run syncs on changes, no more often than minSync, and in full every
// syncPeriod; a failed sync is retried with back-off.
func (p *proxier) run(ctx context.Context) error {
	broadcaster := events.NewBroadcaster(&events.EventSinkImpl{Interface: p.client.EventsV1()})
	broadcaster.StartRecordingToSink(ctx.Done())
	defer broadcaster.Shutdown()
	p.events = broadcaster.NewRecorder(scheme.Scheme, "kube-proxy")
	defer p.serviceHealth.Close()

	for _, inf := range p.informers {
		go inf.Run(ctx.Done())
	}
	if !cache.WaitForCacheSync(ctx.Done(), p.synced...) {
		return ctx.Err()
	}

	periodic := time.NewTicker(p.syncPeriod)
	defer periodic.Stop()
	var (
		last    time.Time
		backoff time.Duration
		retry   <-chan time.Time
	)
	pending, full := true, true
	for {
		if pending {
			if wait := p.minSync - time.Since(last); wait > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(wait):
				}
			}
			wrote, err := p.sync(full)
			if wrote || err != nil {
				last = time.Now()
			}
			if err != nil {
				backoff = min(max(2*backoff, time.Second), p.syncPeriod)
				klog.ErrorS(err, "Failed to sync the proxy rules; retrying", "after", backoff)
				retry = time.After(backoff)
			} else {
				backoff, retry = 0, nil
				full = false
			}
			pending = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-p.trigger:
			pending = true
		case <-periodic.C:
			pending, full = true, true
		case <-retry:
			pending, full = true, true
		}
	}
}

// sync writes the rules for the current state. full also re-creates the
// jumps into our chains, in case something removed them.
func (p *proxier) sync(full bool) (wrote bool, err error) {
	start := time.Now()
	p.mu.Lock()
	changes, changed := p.changedAt, p.changedServices
	p.changedAt, p.changedServices = nil, nil
	p.mu.Unlock()
	if !full && len(changes) == 0 {
		// A trigger left over from changes the last sync already wrote:
		// nothing to do, and no reason to hold the next change back.
		return false, nil
	}
	if full {
		changed = nil
	} else if changed == nil {
		changed = map[types.NamespacedName]bool{}
	}

	services, err := p.services.List(labels.Everything())
	if err != nil {
		return false, err
	}
	slices, err := p.slices.List(labels.Everything())
	if err != nil {
		return false, err
	}
	snap := state.Build(corev1.IPv4Protocol, p.node, services, slices)
	p.reportSkips(snap.Skipped)

	if full {
		if err := p.syncer.EnsureJumps(); err != nil {
			p.failed(changes, err)
			return false, err
		}
	}
	tables, err := p.syncer.Sync(snap, changed)
	if err != nil {
		p.failed(changes, err)
		return false, err
	}
	done := time.Now()
	p.deleteFlows(conntrack.StaleFlows(p.last, snap))
	p.last = snap
	p.health.Updated(nil)
	elapsed := done.Sub(start).Seconds()
	p.metrics.syncDuration.WithLabelValues(family).Observe(elapsed)
	if full {
		p.metrics.fullSyncDuration.WithLabelValues(family).Observe(elapsed)
		p.metrics.rules.WithLabelValues("nat", family).Set(float64(tables.NATRules))
		p.metrics.rules.WithLabelValues("filter", family).Set(float64(tables.FilterRules))
	} else {
		p.metrics.partialSyncDuration.WithLabelValues(family).Observe(elapsed)
	}
	p.metrics.lastSync.WithLabelValues(family).SetToCurrentTime()
	p.metrics.rulesLast.WithLabelValues("nat", family).Set(float64(tables.NATRules))
	p.metrics.rulesLast.WithLabelValues("filter", family).Set(float64(tables.FilterRules))
	p.metrics.skipped.Set(float64(len(snap.Skipped)))
	for _, at := range changes {
		p.metrics.programmingDuration.WithLabelValues(family).Observe(done.Sub(at).Seconds())
	}

	targets := map[int32]healthcheck.Target{}
	for _, sp := range snap.Ports {
		if sp.HealthCheckNodePort != 0 {
			t := targets[sp.HealthCheckNodePort]
			t.Name = sp.Name.NamespacedName
			t.LocalEndpoints = max(t.LocalEndpoints, len(state.UsableEndpoints(snap.Endpoints[sp.Name], true)))
			targets[sp.HealthCheckNodePort] = t
		}
	}
	p.serviceHealth.Sync(targets)
	klog.V(2).InfoS("Synced proxy rules", "full", full, "changedServices", len(changed), "servicePorts", len(snap.Ports), "natRules", tables.NATRules,
		"filterRules", tables.FilterRules, "elapsed", done.Sub(start))
	return true, nil
}

// failed keeps the changes for the retry and reports the failure.
func (p *proxier) failed(changes []time.Time, err error) {
	p.mu.Lock()
	p.changedAt = append(changes, p.changedAt...)
	p.mu.Unlock()
	p.health.Updated(err)
	p.metrics.restoreFailures.WithLabelValues(family).Inc()
}

// reportSkips logs and announces, once each, what the proxy cannot express.
func (p *proxier) reportSkips(skips []state.Skip) {
	p.mu.Lock()
	defer p.mu.Unlock()
	current := map[state.Skip]bool{}
	for _, s := range skips {
		current[s] = true
		if p.reported[s] {
			continue
		}
		klog.InfoS("Not programming", "kind", s.Kind, "object", s.Object, "reason", s.Reason)
		if obj := p.lookup(s); obj != nil && p.events != nil {
			p.events.Eventf(obj, nil, corev1.EventTypeWarning, "NotProgrammed", "SyncProxyRules", "%s", s.Reason)
		}
	}
	p.reported = current
}

func (p *proxier) lookup(s state.Skip) runtime.Object {
	var obj runtime.Object
	var err error
	switch s.Kind {
	case "Service":
		obj, err = p.services.Services(s.Object.Namespace).Get(s.Object.Name)
	case "EndpointSlice":
		obj, err = p.slices.EndpointSlices(s.Object.Namespace).Get(s.Object.Name)
	}
	if err != nil {
		return nil
	}
	return obj
}
