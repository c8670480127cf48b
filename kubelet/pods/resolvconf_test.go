package pods

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestResolvConfAsUpstreamWritesIt(t *testing.T) {
	host := "# written by the host\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example lab.example\noptions edns0 timeout:2\n"
	two := "2"
	pod := func(policy corev1.DNSPolicy, hostNetwork bool, config *corev1.PodDNSConfig) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop"}, Spec: corev1.PodSpec{DNSPolicy: policy, HostNetwork: hostNetwork, DNSConfig: config}}
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"ClusterFirst", pod(corev1.DNSClusterFirst, false, nil),
			"nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\noptions ndots:5\n"},
		{"Default", pod(corev1.DNSDefault, false, nil),
			"nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example lab.example\noptions edns0 timeout:2\n"},
		{"ClusterFirst on the host network is Default", pod(corev1.DNSClusterFirst, true, nil),
			"nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example lab.example\noptions edns0 timeout:2\n"},
		{"ClusterFirstWithHostNet", pod(corev1.DNSClusterFirstWithHostNet, true, nil),
			"nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\noptions ndots:5\n"},
		{"None with dnsConfig", pod(corev1.DNSNone, false, &corev1.PodDNSConfig{Nameservers: []string{"192.0.2.1"}, Searches: []string{"a.example"},
			Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: &two}, {Name: "edns0"}}}),
			"nameserver 192.0.2.1\nsearch a.example\noptions ndots:2 edns0\n"},
		{"dnsConfig on top of ClusterFirst", pod(corev1.DNSClusterFirst, false, &corev1.PodDNSConfig{Nameservers: []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"},
			Searches: []string{"cluster.local", "b.example"}, Options: []corev1.PodDNSConfigOption{{Name: "ndots", Value: &two}}}),
			"nameserver 10.96.0.10\nnameserver 192.0.2.1\nnameserver 192.0.2.2\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example b.example\noptions ndots:2\n"},
	} {
		if got := resolvConf(tc.pod, host, []string{"10.96.0.10"}, "cluster.local"); got != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
	// Without a cluster DNS, ClusterFirst falls back to the host's, as upstream.
	if got := resolvConf(pod(corev1.DNSClusterFirst, false, nil), host, nil, "cluster.local"); got != "nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example lab.example\noptions edns0 timeout:2\n" {
		t.Errorf("ClusterFirst without cluster DNS:\n%s", got)
	}
}
