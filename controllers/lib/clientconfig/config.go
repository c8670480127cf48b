// Package clientconfig shapes the API client configuration of a control
// plane component, as upstream's components set theirs up.
package clientconfig

import "k8s.io/client-go/rest"

// For returns a copy of config for a component: its user agent, its limit
// of requests per second, and protobuf, which costs the component and the
// API server far less CPU than JSON.
func For(config *rest.Config, userAgent string, qps float32, burst int) *rest.Config {
	config = rest.CopyConfig(config)
	config.UserAgent = userAgent
	config.QPS, config.Burst = qps, burst
	config.ContentType = "application/vnd.kubernetes.protobuf"
	config.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	return config
}
