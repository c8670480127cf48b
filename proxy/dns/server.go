// Package dns is the cluster's DNS server: it answers for the cluster
// domain from Service and EndpointSlice informers, as the Kubernetes
// DNS-based service discovery specification says (what CoreDNS's
// kubernetes plugin serves, with "pods insecure"), and forwards every
// other question to the host's resolvers.
package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
	"k8s.io/klog/v2"
)

// Server answers DNS questions over UDP and TCP.
type Server struct {
	records *records
	// Upstreams are the resolvers (host:port) for names outside the zone.
	Upstreams []string
	client    *dns.Client
	tcp       *dns.Client
}

// handler is the miekg/dns handler: one question per message, as every
// resolver sends.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	reply := s.answer(req)
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = int(opt.UDPSize())
		reply.SetEdns0(opt.UDPSize(), false)
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		reply.Truncate(size)
	}
	if err := w.WriteMsg(reply); err != nil {
		klog.V(4).InfoS("writing a DNS answer", "err", err)
	}
}

func (s *Server) answer(req *dns.Msg) *dns.Msg {
	reply := new(dns.Msg)
	if len(req.Question) != 1 || req.Opcode != dns.OpcodeQuery {
		reply.SetRcodeFormatError(req)
		return reply
	}
	q := req.Question[0]
	name := strings.ToLower(dns.Fqdn(q.Name))
	var (
		r    result
		ours bool
	)
	switch {
	case s.records.inZone(name):
		r, ours = s.records.lookup(q, name), true
	case q.Qtype == dns.TypePTR:
		r, ours = s.records.reverse(name)
	}
	if !ours {
		return s.forward(req)
	}
	reply.SetReply(req)
	reply.Authoritative = true
	reply.RecursionAvailable = true
	reply.Rcode = r.rcode
	reply.Answer = r.answer
	reply.Extra = r.extra
	if r.chase != "" {
		reply.Answer = append(reply.Answer, s.chase(r.chase, q.Qtype, 0)...)
	}
	if len(reply.Answer) == 0 {
		reply.Ns = []dns.RR{s.records.soa()}
	}
	return reply
}

// chase resolves an ExternalName's target: in the zone from the records,
// elsewhere through the upstreams (depth bounds CNAME loops).
func (s *Server) chase(target string, qtype uint16, depth int) []dns.RR {
	if depth > 8 {
		return nil
	}
	q := dns.Question{Name: target, Qtype: qtype, Qclass: dns.ClassINET}
	if s.records.inZone(target) {
		r := s.records.lookup(q, target)
		if r.chase != "" {
			return append(r.answer, s.chase(r.chase, qtype, depth+1)...)
		}
		return r.answer
	}
	req := new(dns.Msg)
	req.SetQuestion(target, qtype)
	reply := s.forward(req)
	if reply.Rcode != dns.RcodeSuccess {
		return nil
	}
	return reply.Answer
}

// forward asks the upstreams in turn; the first answer wins. A truncated
// answer over UDP is asked again over TCP.
func (s *Server) forward(req *dns.Msg) *dns.Msg {
	var last error
	for _, upstream := range s.Upstreams {
		reply, _, err := s.client.Exchange(req, upstream)
		if err == nil && reply.Truncated {
			reply, _, err = s.tcp.Exchange(req, upstream)
		}
		if err == nil {
			reply.Id = req.Id
			return reply
		}
		last = err
	}
	klog.V(2).InfoS("no upstream answered", "question", req.Question, "err", last)
	fail := new(dns.Msg)
	fail.SetRcode(req, dns.RcodeServerFailure)
	return fail
}

// Serve answers on address (host:port) over UDP and TCP until ctx ends.
func (s *Server) Serve(ctx context.Context, address string) error {
	udp, err := net.ListenPacket("udp", address)
	if err != nil {
		return err
	}
	tcp, err := net.Listen("tcp", address)
	if err != nil {
		udp.Close()
		return err
	}
	return s.ServeOn(ctx, udp, tcp)
}

// ServeOn answers on listeners already open (tests pick free ports).
func (s *Server) ServeOn(ctx context.Context, udp net.PacketConn, tcp net.Listener) error {
	servers := []*dns.Server{{PacketConn: udp, Handler: s}, {Listener: tcp, Handler: s}}
	errc := make(chan error, len(servers))
	for _, srv := range servers {
		go func() { errc <- srv.ActivateAndServe() }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	for _, srv := range servers {
		_ = srv.Shutdown()
	}
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("serving DNS: %w", err)
	}
	return nil
}

// upstreamsFrom reads the nameservers of a resolv.conf, each host:port.
func upstreamsFrom(path string) ([]string, error) {
	config, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the upstream resolvers from %s: %w", path, err)
	}
	var out []string
	for _, server := range config.Servers {
		out = append(out, net.JoinHostPort(server, config.Port))
	}
	return out, nil
}

func newClients() (*dns.Client, *dns.Client) {
	return &dns.Client{Net: "udp", Timeout: 2 * time.Second, UDPSize: dns.DefaultMsgSize},
		&dns.Client{Net: "tcp", Timeout: 2 * time.Second}
}
