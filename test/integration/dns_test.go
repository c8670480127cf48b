package integration

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"

	kybdns "github.com/kybernetes/kybernetes/proxy/dns"
	"github.com/kybernetes/kybernetes/test/integration/framework"
)

// fakeUpstream is a resolver on loopback that knows two names outside the
// cluster, and counts what it was asked.
func fakeUpstream(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]string{"example.test.": "192.0.2.7", "other.test.": "192.0.2.8"}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		reply := new(dns.Msg)
		reply.SetReply(req)
		q := req.Question[0]
		if ip, ok := known[q.Name]; ok && q.Qtype == dns.TypeA {
			reply.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP(ip)}}
		} else if !ok {
			reply.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(reply)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// startDNS serves the cluster zone on loopback with the given upstreams.
func startDNS(t *testing.T, s *framework.Server, upstreams ...string) string {
	t.Helper()
	factory := informers.NewSharedInformerFactory(s.Client, 0)
	server := kybdns.NewServer(factory, "cluster.local", 5, upstreams)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp", udp.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = server.ServeOn(ctx, udp, tcp) }()
	return udp.LocalAddr().String()
}

func ask(t *testing.T, server, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	req := new(dns.Msg)
	req.SetQuestion(name, qtype)
	client := &dns.Client{Net: network, Timeout: 5 * time.Second}
	reply, _, err := client.Exchange(req, server)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], network, err)
	}
	return reply
}

// records prints an answer's records without TTLs, sorted as given.
func records(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		h := rr.Header()
		out = append(out, strings.TrimSpace(strings.TrimPrefix(rr.String(), h.String())))
	}
	return out
}

func TestDNSAnswersAsTheSpecificationSays(t *testing.T) {
	s := framework.Start(t, framework.Setup{WithoutControllers: true})
	ctx := context.Background()
	services := s.Client.CoreV1().Services("default")
	web, err := services.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{
		Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}, {Name: "metrics", Port: 9090, Protocol: corev1.ProtocolTCP}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := services.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone,
		Ports: []corev1.ServicePort{{Name: "pg", Port: 5432, Protocol: corev1.ProtocolTCP}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := services.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "ext"}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeExternalName, ExternalName: "example.test"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	yes, no, hostname, pg, port, tcp := true, false, "db-0", "pg", int32(5432), corev1.ProtocolTCP
	if _, err := s.Client.DiscoveryV1().EndpointSlices("default").Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "db-1", Labels: map[string]string{discoveryv1.LabelServiceName: "db"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"10.244.1.5"}, Hostname: &hostname, Conditions: discoveryv1.EndpointConditions{Ready: &yes}},
			{Addresses: []string{"10.244.2.6"}, Conditions: discoveryv1.EndpointConditions{Ready: &yes}},
			{Addresses: []string{"10.244.3.7"}, Conditions: discoveryv1.EndpointConditions{Ready: &no}},
		},
		Ports: []discoveryv1.EndpointPort{{Name: &pg, Port: &port, Protocol: &tcp}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	server := startDNS(t, s, fakeUpstream(t))

	for _, tc := range []struct {
		name     string
		qtype    uint16
		rcode    int
		answer   []string
		extra    []string
		negative bool // the SOA in the authority section
	}{
		{name: "web.default.svc.cluster.local.", qtype: dns.TypeA, answer: []string{"" + web.Spec.ClusterIP}},
		{name: "WEB.Default.svc.cluster.local.", qtype: dns.TypeA, answer: []string{"" + web.Spec.ClusterIP}},
		{name: "web.default.svc.cluster.local.", qtype: dns.TypeAAAA, negative: true},
		{name: "_http._tcp.web.default.svc.cluster.local.", qtype: dns.TypeSRV, answer: []string{"0 100 80 web.default.svc.cluster.local."},
			extra: []string{"" + web.Spec.ClusterIP}},
		{name: "web.default.svc.cluster.local.", qtype: dns.TypeSRV, answer: []string{"0 50 80 web.default.svc.cluster.local.", "0 50 9090 web.default.svc.cluster.local."},
			extra: []string{"" + web.Spec.ClusterIP}},
		{name: "_http._udp.web.default.svc.cluster.local.", qtype: dns.TypeSRV, rcode: dns.RcodeNameError, negative: true},
		{name: "db.default.svc.cluster.local.", qtype: dns.TypeA, answer: []string{"10.244.1.5", "10.244.2.6"}},
		{name: "db-0.db.default.svc.cluster.local.", qtype: dns.TypeA, answer: []string{"10.244.1.5"}},
		{name: "10-244-2-6.db.default.svc.cluster.local.", qtype: dns.TypeA, answer: []string{"10.244.2.6"}},
		{name: "db-9.db.default.svc.cluster.local.", qtype: dns.TypeA, rcode: dns.RcodeNameError, negative: true},
		{name: "_pg._tcp.db.default.svc.cluster.local.", qtype: dns.TypeSRV,
			answer: []string{"0 50 5432 db-0.db.default.svc.cluster.local.", "0 50 5432 10-244-2-6.db.default.svc.cluster.local."},
			extra:  []string{"10.244.1.5", "10.244.2.6"}},
		{name: "ext.default.svc.cluster.local.", qtype: dns.TypeA, answer: []string{"example.test.", "192.0.2.7"}},
		{name: "10-1-2-3.default.pod.cluster.local.", qtype: dns.TypeA, answer: []string{"10.1.2.3"}},
		{name: "nope.default.svc.cluster.local.", qtype: dns.TypeA, rcode: dns.RcodeNameError, negative: true},
		{name: "default.svc.cluster.local.", qtype: dns.TypeA, negative: true},
		{name: "nowhere.svc.cluster.local.", qtype: dns.TypeA, rcode: dns.RcodeNameError, negative: true},
		{name: "web.default.cluster.local.", qtype: dns.TypeA, rcode: dns.RcodeNameError, negative: true},
		{name: "dns-version.cluster.local.", qtype: dns.TypeTXT, answer: []string{`"1.1.0"`}},
		{name: reverse(web.Spec.ClusterIP), qtype: dns.TypePTR, answer: []string{"web.default.svc.cluster.local."}},
		{name: "5.1.244.10.in-addr.arpa.", qtype: dns.TypePTR, answer: []string{"db-0.db.default.svc.cluster.local."}},
		// Outside the zone: the upstream's answers, as they are.
		{name: "other.test.", qtype: dns.TypeA, answer: []string{"192.0.2.8"}},
		{name: "missing.test.", qtype: dns.TypeA, rcode: dns.RcodeNameError},
	} {
		reply := ask(t, server, "udp", tc.name, tc.qtype)
		got := records(reply.Answer)
		if reply.Rcode != tc.rcode || strings.Join(got, ",") != strings.Join(tc.answer, ",") {
			t.Errorf("%s %s: rcode %s answer %q, want %s %q", tc.name, dns.TypeToString[tc.qtype], dns.RcodeToString[reply.Rcode], got,
				dns.RcodeToString[tc.rcode], tc.answer)
		}
		if tc.extra != nil && strings.Join(records(reply.Extra), ",") != strings.Join(tc.extra, ",") {
			t.Errorf("%s %s: additional %q, want %q", tc.name, dns.TypeToString[tc.qtype], records(reply.Extra), tc.extra)
		}
		if tc.negative && (len(reply.Ns) != 1 || reply.Ns[0].Header().Rrtype != dns.TypeSOA || reply.Ns[0].Header().Name != "cluster.local.") {
			t.Errorf("%s %s: authority %v, want the zone's SOA", tc.name, dns.TypeToString[tc.qtype], reply.Ns)
		}
	}
	if reply := ask(t, server, "tcp", "web.default.svc.cluster.local.", dns.TypeA); len(reply.Answer) != 1 || !reply.Authoritative {
		t.Errorf("over TCP: %v", reply)
	}

	// A new service resolves once the informer has it; a deleted one no longer.
	created, err := services.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "late"}, Spec: corev1.ServiceSpec{
		Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "late.default resolves", func(context.Context) bool {
		r := ask(t, server, "udp", "late.default.svc.cluster.local.", dns.TypeA)
		return len(r.Answer) == 1 && r.Answer[0].(*dns.A).A.String() == created.Spec.ClusterIP
	})
	if err := services.Delete(ctx, "late", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "late.default gone", func(context.Context) bool {
		return ask(t, server, "udp", "late.default.svc.cluster.local.", dns.TypeA).Rcode == dns.RcodeNameError
	})

	// No upstream answers: SERVFAIL, and the zone is still answered.
	dead, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.LocalAddr().String()
	dead.Close()
	lonely := startDNS(t, s, deadAddr)
	if r := ask(t, lonely, "udp", "other.test.", dns.TypeA); r.Rcode != dns.RcodeServerFailure {
		t.Errorf("with its upstream down: %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
	if r := ask(t, lonely, "udp", "web.default.svc.cluster.local.", dns.TypeA); len(r.Answer) != 1 {
		t.Errorf("the zone with the upstream down: %v", r)
	}
}

// TestDNSKeepsTheKubeDNSService: with --cluster-ip, the server keeps the
// kube-dns Service at that address and an EndpointSlice naming itself.
func TestDNSKeepsTheKubeDNSService(t *testing.T) {
	s := framework.Start(t, framework.Setup{WithoutControllers: true})
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver 127.0.0.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	probe, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := probe.LocalAddr().(*net.UDPAddr).Port
	probe.Close()
	opts := kybdns.DefaultOptions()
	opts.Kubeconfig, opts.ResolvConf, opts.Port, opts.ClusterIP = s.Options.KubeconfigPath(), resolv, port, "10.96.0.10"
	framework.RunComponent(t, "the DNS server", func(ctx context.Context) error { return kybdns.Run(ctx, opts) })
	ctx := context.Background()
	waitFor(t, "the kube-dns Service and its slice", func(context.Context) bool {
		svc, err := s.Client.CoreV1().Services("kube-system").Get(ctx, "kube-dns", metav1.GetOptions{})
		if err != nil || svc.Spec.ClusterIP != "10.96.0.10" || len(svc.Spec.Selector) != 0 || len(svc.Spec.Ports) != 2 {
			return false
		}
		slice, err := s.Client.DiscoveryV1().EndpointSlices("kube-system").Get(ctx, "kube-dns-kybernetes", metav1.GetOptions{})
		return err == nil && slice.Labels[discoveryv1.LabelServiceName] == "kube-dns" && len(slice.Endpoints) == 1 &&
			slice.Endpoints[0].Addresses[0] == "127.0.0.1" && *slice.Ports[0].Port == int32(port)
	})
	// The server answers on the address its slice names.
	r := ask(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), "udp", "kube-dns.kube-system.svc.cluster.local.", dns.TypeA)
	if got := records(r.Answer); len(got) != 1 || got[0] != "10.96.0.10" {
		t.Errorf("kube-dns.kube-system: %q", got)
	}
}

func reverse(ip string) string {
	p := strings.Split(ip, ".")
	return p[3] + "." + p[2] + "." + p[1] + "." + p[0] + ".in-addr.arpa."
}
