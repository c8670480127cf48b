package registry

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func parse(t *testing.T, args ...string) *Options {
	t.Helper()
	o := NewOptions()
	fs := pflag.NewFlagSet("apiserver", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse(append([]string{"--data-dir", t.TempDir()}, args...)); err != nil {
		t.Fatal(err)
	}
	return o
}

// Upstream's flags exist, with upstream's meaning, and reach the options
// the server is built from.
func TestUpstreamFlags(t *testing.T) {
	o := parse(t, "--max-requests-inflight=17", "--max-mutating-requests-inflight=9", "--request-timeout=30s",
		"--bind-address=127.0.0.2", "--secure-port=7443", "--etcd-servers=https://10.0.0.5:2379",
		"--etcd-compaction-interval=1m", "--disable-admission-plugins=LimitRanger")
	completed, err := o.Complete()
	if err != nil {
		t.Fatal(err)
	}
	if completed.ServerRun.MaxRequestsInFlight != 17 || completed.ServerRun.MaxMutatingRequestsInFlight != 9 ||
		completed.ServerRun.RequestTimeout != 30*time.Second {
		t.Errorf("run options: %+v", completed.ServerRun)
	}
	if completed.SecureServing.BindPort != 7443 || completed.SecureServing.BindAddress.String() != "127.0.0.2" {
		t.Errorf("serving: %v:%d", completed.SecureServing.BindAddress, completed.SecureServing.BindPort)
	}
	if got := completed.Etcd.StorageConfig.Transport.ServerList; len(got) != 1 || got[0] != "https://10.0.0.5:2379" {
		t.Errorf("etcd servers: %v", got)
	}
	if completed.Etcd.StorageConfig.CompactionInterval != time.Minute {
		t.Errorf("compaction interval: %s", completed.Etcd.StorageConfig.CompactionInterval)
	}
	// Defaults filled in: the serving certificate from the data directory,
	// the advertised address from --bind-address.
	if !strings.HasPrefix(completed.SecureServing.ServerCert.CertKey.CertFile, o.DataDir) || completed.advertiseIP().String() != "127.0.0.2" {
		t.Errorf("defaults: cert %q, advertise %s", completed.SecureServing.ServerCert.CertKey.CertFile, completed.advertiseIP())
	}
}

// Every bad option is reported at once, with the flag it came from.
func TestInvalidOptions(t *testing.T) {
	o := parse(t, "--enable-admission-plugins=NoSuchPlugin", "--max-requests-inflight=-1",
		"--service-cluster-ip-range=banana", "--etcd-cafile=/ca.crt")
	_, err := o.Complete()
	if err == nil {
		t.Fatal("Complete accepted bad options")
	}
	for _, want := range []string{`enable-admission-plugins plugin "NoSuchPlugin" is unknown`, "--max-requests-inflight can not be negative",
		"--service-cluster-ip-range", "need --etcd-servers"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// The admission plugins kybernetes has are upstream's, all on by default,
// in upstream's order.
func TestAdmissionPlugins(t *testing.T) {
	o := NewOptions()
	registered := strings.Join(o.Admission.Plugins.Registered(), ",")
	upstream := []string{"NamespaceLifecycle", "LimitRanger", "ServiceAccount", "NodeRestriction", "PodSecurity", "Priority",
		"DefaultTolerationSeconds", "DefaultStorageClass", "RuntimeClass", "CertificateApproval", "CertificateSigning", "ClusterTrustBundleAttest", "CertificateSubjectRestriction", "DefaultIngressClass", "MutatingAdmissionPolicy", "MutatingAdmissionWebhook",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook", "ResourceQuota"}
	for _, name := range upstream {
		if !strings.Contains(registered, name) {
			t.Errorf("%s is not registered: %s", name, registered)
		}
	}
	if got := strings.Join(o.Admission.RecommendedPluginOrder, ","); got != strings.Join(upstream, ",") {
		t.Errorf("order %s", got)
	}
}
