// Package etcd runs the embedded etcd member that a kybernetes server stores
// its objects in when no --etcd-servers are given.
package etcd

import (
	"fmt"
	"net"
	"net/url"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"

	"github.com/kybernetes/kybernetes/registry/pki"
)

// Embedded is a single-member etcd cluster serving on loopback.
type Embedded struct {
	etcd *embed.Etcd
	// Endpoint is the client URL to give to the apiserver's storage.
	Endpoint string
}

// Start runs an etcd member with its data in dir and waits until it serves.
// Client and peer listen on free loopback ports, over TLS that asks for a
// client certificate of its own CA (files): another user of this machine
// cannot read or write it.
func Start(dir string, files pki.EtcdFiles) (*Embedded, error) {
	clientURL, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}
	peerURL, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name = "kybernetes"
	cfg.Dir = dir
	cfg.LogLevel = "error"
	cfg.ListenClientUrls = []url.URL{*clientURL}
	cfg.AdvertiseClientUrls = []url.URL{*clientURL}
	cfg.ListenPeerUrls = []url.URL{*peerURL}
	cfg.AdvertisePeerUrls = []url.URL{*peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	tlsInfo := transport.TLSInfo{CertFile: files.ServerCert, KeyFile: files.ServerKey, TrustedCAFile: files.CA, ClientCertAuth: true}
	cfg.ClientTLSInfo, cfg.PeerTLSInfo = tlsInfo, tlsInfo
	// kube-apiserver compacts etcd itself; keep etcd's own compaction off.
	cfg.AutoCompactionRetention = "0"

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("starting embedded etcd in %s: %w", dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd: %w", err)
	case <-time.After(time.Minute):
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s did not become ready within a minute", dir)
	}
	return &Embedded{etcd: e, Endpoint: clientURL.String()}, nil
}

// Close stops the member after its pending writes are on disk.
func (e *Embedded) Close() {
	e.etcd.Close()
}

func freeLoopbackURL() (*url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer l.Close()
	return &url.URL{Scheme: "https", Host: l.Addr().String()}, nil
}
