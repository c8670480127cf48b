package proxy

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are kube-proxy's names and labels for the same measurements, so
// that dashboards made for it read ours.
type metrics struct {
	registry            *prometheus.Registry
	syncDuration        *prometheus.HistogramVec
	fullSyncDuration    *prometheus.HistogramVec
	partialSyncDuration *prometheus.HistogramVec
	lastSync            *prometheus.GaugeVec
	lastQueued          *prometheus.GaugeVec
	programmingDuration *prometheus.HistogramVec
	rules               *prometheus.GaugeVec
	rulesLast           *prometheus.GaugeVec
	restoreFailures     *prometheus.CounterVec
	skipped             prometheus.Gauge
}

// family is the ip_family label of this proxier's series.
const family = "IPv4"

func newMetrics() *metrics {
	syncBuckets := prometheus.ExponentialBuckets(0.001, 2, 15)
	histogram := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "kubeproxy", Name: name, Help: help, Buckets: buckets}, []string{"ip_family"})
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "kubeproxy", Name: name, Help: help}, append(labels, "ip_family"))
	}
	m := &metrics{
		registry:            prometheus.NewRegistry(),
		syncDuration:        histogram("sync_proxy_rules_duration_seconds", "How long a sync of the proxy rules took", syncBuckets),
		fullSyncDuration:    histogram("sync_full_proxy_rules_duration_seconds", "How long a full sync of the proxy rules took", syncBuckets),
		partialSyncDuration: histogram("sync_partial_proxy_rules_duration_seconds", "How long a partial sync of the proxy rules took", syncBuckets),
		lastSync:            gauge("sync_proxy_rules_last_timestamp_seconds", "When the proxy rules were last synced successfully"),
		lastQueued:          gauge("sync_proxy_rules_last_queued_timestamp_seconds", "When a sync of the proxy rules was last queued"),
		programmingDuration: histogram("network_programming_duration_seconds",
			"From a change to a Service's endpoints (their slice's last-change-trigger-time) to the rules for it being in place",
			append(append(prometheus.LinearBuckets(0.25, 0.25, 2), prometheus.LinearBuckets(1, 1, 59)...), prometheus.LinearBuckets(60, 5, 12)...)),
		rules:     gauge("sync_proxy_rules_iptables_total", "The iptables rules the proxy owns, per table", "table"),
		rulesLast: gauge("sync_proxy_rules_iptables_last", "The iptables rules the last sync wrote, per table", "table"),
		restoreFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "kubeproxy", Name: "sync_proxy_rules_iptables_restore_failures_total",
			Help: "iptables-restore runs that failed"}, []string{"ip_family"}),
		skipped: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kybernetes_proxy_skipped_objects",
			Help: "Services and EndpointSlices the last sync could not express"}),
	}
	m.registry.MustRegister(m.syncDuration, m.fullSyncDuration, m.partialSyncDuration, m.lastSync, m.lastQueued,
		m.programmingDuration, m.rules, m.rulesLast, m.restoreFailures, m.skipped,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}
