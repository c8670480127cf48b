// Package ingress is the built-in ingress controller of IngressClass
// "kybernetes": an HTTP and HTTPS reverse proxy whose routes are the rules
// of the class's Ingresses (host and path rules, TLS from Secrets, a
// default backend), sent to the ready endpoints of their Services. The
// routes are rebuilt when Ingresses, Services, EndpointSlices or Secrets
// change and swapped in at once: connections in flight keep going.
package ingress

import (
	"crypto/tls"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/klog/v2"
)

// table is the routes at one moment: built whole, then read by requests
// without locks.
type table struct {
	// hosts are the rules by host: exact names, then "*.suffix" wildcards;
	// "" holds the rules without a host.
	hosts map[string][]route
	// fallback is the default backend (nil: 404).
	fallback *backend
	// certs are the TLS certificates by host (exact or "*.suffix").
	certs map[string]*tls.Certificate
}

// route is one path of a rule.
type route struct {
	pathType networkingv1.PathType
	path     string
	backend  *backend
}

// backend is a Service port's ready endpoints, taken in turn.
type backend struct {
	name      string // namespace/service:port, for errors and logs
	endpoints []string
	next      atomic.Uint64
}

func (b *backend) pick() (string, bool) {
	if len(b.endpoints) == 0 {
		return "", false
	}
	return b.endpoints[b.next.Add(1)%uint64(len(b.endpoints))], true
}

// match finds the backend for a request: the host's own rules, else a
// matching wildcard's, else the rules without a host; in those, an Exact
// path, else the longest matching Prefix; else the default backend.
func (t *table) match(host, path string) *backend {
	host = strings.ToLower(host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	candidates := [][]route{t.hosts[host]}
	if i := strings.IndexByte(host, '.'); i > 0 {
		candidates = append(candidates, t.hosts["*"+host[i:]])
	}
	candidates = append(candidates, t.hosts[""])
	for _, routes := range candidates {
		if b := matchPath(routes, path); b != nil {
			return b
		}
	}
	return t.fallback
}

func matchPath(routes []route, path string) *backend {
	var best *route
	for i := range routes {
		r := &routes[i]
		switch r.pathType {
		case networkingv1.PathTypeExact:
			if path == r.path {
				return r.backend
			}
		default: // Prefix, and ImplementationSpecific read as Prefix
			if prefixMatches(r.path, path) && (best == nil || len(r.path) > len(best.path)) {
				best = r
			}
		}
	}
	if best == nil {
		return nil
	}
	return best.backend
}

// prefixMatches is the specification's Prefix: element by element of the
// "/"-split path, ignoring a trailing slash ("/foo" matches "/foo",
// "/foo/" and "/foo/bar", not "/foobar").
func prefixMatches(prefix, path string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix == "" {
		return true
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// builder makes tables from the informers' caches.
type builder struct {
	class      string
	isDefault  func() bool
	ingresses  func() ([]*networkingv1.Ingress, error)
	services   corelisters.ServiceLister
	slices     discoverylisters.EndpointSliceLister
	secrets    corelisters.SecretLister
	recordSkip func(ing *networkingv1.Ingress, reason, message string)
}

// ours says whether the controller serves an Ingress: of its class, or
// of none while its class is the default one.
func (b *builder) ours(ing *networkingv1.Ingress) bool {
	class := ing.Spec.IngressClassName
	if class == nil {
		if legacy, ok := ing.Annotations["kubernetes.io/ingress.class"]; ok {
			return legacy == b.class
		}
		return b.isDefault()
	}
	return *class == b.class
}

func (b *builder) build() *table {
	t := &table{hosts: map[string][]route{}, certs: map[string]*tls.Certificate{}}
	list, err := b.ingresses()
	if err != nil {
		klog.ErrorS(err, "listing ingresses")
		return t
	}
	// The oldest Ingress wins a conflict (its default backend, a host's TLS).
	sort.Slice(list, func(i, j int) bool {
		a, c := list[i].CreationTimestamp, list[j].CreationTimestamp
		if !a.Equal(&c) {
			return a.Before(&c)
		}
		return list[i].Namespace+"/"+list[i].Name < list[j].Namespace+"/"+list[j].Name
	})
	for _, ing := range list {
		if !b.ours(ing) {
			continue
		}
		if d := ing.Spec.DefaultBackend; d != nil && d.Service != nil && t.fallback == nil {
			t.fallback = b.backend(ing, d.Service)
		}
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			host := strings.ToLower(rule.Host)
			for _, p := range rule.HTTP.Paths {
				if p.Backend.Service == nil {
					b.recordSkip(ing, "UnsupportedBackend", "only Service backends are served; path "+p.Path+" skipped")
					continue
				}
				pathType := networkingv1.PathTypePrefix
				if p.PathType != nil {
					pathType = *p.PathType
				}
				path := p.Path
				if path == "" {
					path = "/"
				}
				t.hosts[host] = append(t.hosts[host], route{pathType: pathType, path: path, backend: b.backend(ing, p.Backend.Service)})
			}
		}
		for _, entry := range ing.Spec.TLS {
			secret, err := b.secrets.Secrets(ing.Namespace).Get(entry.SecretName)
			if err != nil {
				b.recordSkip(ing, "MissingSecret", "TLS secret "+ing.Namespace+"/"+entry.SecretName+" not found")
				continue
			}
			cert, err := tls.X509KeyPair(secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey])
			if err != nil {
				b.recordSkip(ing, "InvalidSecret", "TLS secret "+ing.Namespace+"/"+entry.SecretName+": "+err.Error())
				continue
			}
			for _, h := range entry.Hosts {
				h = strings.ToLower(h)
				if _, taken := t.certs[h]; !taken {
					t.certs[h] = &cert
				}
			}
		}
	}
	return t
}

// backend resolves a Service port to its ready endpoints' addresses.
func (b *builder) backend(ing *networkingv1.Ingress, ref *networkingv1.IngressServiceBackend) *backend {
	port := ref.Port.Name
	if port == "" {
		port = strconv.Itoa(int(ref.Port.Number))
	}
	out := &backend{name: ing.Namespace + "/" + ref.Name + ":" + port}
	svc, err := b.services.Services(ing.Namespace).Get(ref.Name)
	if err != nil {
		return out // 503 until the Service exists
	}
	// The Service port the Ingress names, by number or name; the
	// endpoints carry its name.
	portName, found := "", false
	for _, p := range svc.Spec.Ports {
		if (ref.Port.Name != "" && p.Name == ref.Port.Name) || (ref.Port.Name == "" && p.Port == ref.Port.Number) {
			portName, found = p.Name, true
		}
	}
	if !found {
		return out
	}
	slices, err := b.slices.EndpointSlices(ing.Namespace).List(labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: svc.Name}))
	if err != nil {
		return out
	}
	for _, slice := range slices {
		if slice.AddressType != discoveryv1.AddressTypeIPv4 && slice.AddressType != discoveryv1.AddressTypeIPv6 {
			continue
		}
		var target *int32
		for _, p := range slice.Ports {
			name := ""
			if p.Name != nil {
				name = *p.Name
			}
			if name == portName && p.Port != nil {
				target = p.Port
			}
		}
		if target == nil {
			continue
		}
		for _, ep := range slice.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			for _, a := range ep.Addresses {
				out.endpoints = append(out.endpoints, net.JoinHostPort(a, strconv.Itoa(int(*target))))
			}
		}
	}
	sort.Strings(out.endpoints)
	return out
}

// certificate picks the certificate for a TLS server name: the host's own,
// else a matching wildcard's.
func (t *table) certificate(serverName string) *tls.Certificate {
	name := strings.ToLower(serverName)
	if c, ok := t.certs[name]; ok {
		return c
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if c, ok := t.certs["*"+name[i:]]; ok {
			return c
		}
	}
	return nil
}
