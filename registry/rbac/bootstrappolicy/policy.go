// Package bootstrappolicy is the RBAC policy every cluster starts with,
// as upstream's: the user-facing roles (cluster-admin, admin, edit, view,
// aggregated from their system:aggregate-to-* parts), the roles of the
// components (scheduler, controller manager, kubelets, proxies, DNS) and
// of discovery, and the bindings that give them to upstream's users and
// groups. The server reconciles it at every start.
package bootstrappolicy

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/apiserver/pkg/authentication/user"
)

// API groups the rules name.
const (
	core           = ""
	apps           = "apps"
	authentication = "authentication.k8s.io"
	authorization  = "authorization.k8s.io"
	autoscaling    = "autoscaling"
	batch          = "batch"
	certificates   = "certificates.k8s.io"
	coordination   = "coordination.k8s.io"
	discovery      = "discovery.k8s.io"
	events         = "events.k8s.io"
	extensions     = "extensions"
	networking     = "networking.k8s.io"
	node           = "node.k8s.io"
	policy         = "policy"
	rbac           = "rbac.authorization.k8s.io"
	resource       = "resource.k8s.io"
	storage        = "storage.k8s.io"
)

// Verb sets, upstream's.
var (
	read       = []string{"get", "list", "watch"}
	write      = []string{"create", "update", "patch", "delete", "deletecollection"}
	readWrite  = append(append([]string{}, read...), write...)
	readUpdate = []string{"get", "list", "watch", "update", "patch"}
)

// rule builds a resource rule: verbs on resources of groups.
func rule(verbs []string, groups []string, resources ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources}
}

// named narrows a rule to some objects.
func named(r rbacv1.PolicyRule, names ...string) rbacv1.PolicyRule {
	r.ResourceNames = names
	return r
}

// urls builds a non-resource rule.
func urls(verbs []string, paths ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: paths}
}

func verbs(v ...string) []string  { return v }
func groups(g ...string) []string { return g }

// eventWriting lets a component record events, in both event APIs.
func eventWriting() rbacv1.PolicyRule {
	return rule(verbs("create", "update", "patch"), groups(core, events), "events")
}

// Aggregation labels of the user-facing roles.
const (
	aggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin"
	aggregateToEdit  = "rbac.authorization.k8s.io/aggregate-to-edit"
	aggregateToView  = "rbac.authorization.k8s.io/aggregate-to-view"
)

func viewRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(read, groups(core), "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
			"services", "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"),
		rule(read, groups(core), "limitranges", "resourcequotas", "bindings",
			"pods/status", "resourcequotas/status", "namespaces/status", "replicationcontrollers/status", "pods/log"),
		// Reading namespaces in a namespace means reading that one.
		rule(read, groups(core), "namespaces"),
		rule(read, groups(core, events), "events"),
		rule(read, groups(discovery), "endpointslices"),
		rule(read, groups(apps), "controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale",
			"daemonsets", "daemonsets/status", "deployments", "deployments/status", "deployments/scale",
			"replicasets", "replicasets/status", "replicasets/scale"),
		rule(read, groups(autoscaling), "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
		rule(read, groups(batch), "jobs", "cronjobs", "cronjobs/status", "jobs/status"),
		rule(read, groups(extensions), "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
			"ingresses", "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale",
			"networkpolicies"),
		rule(read, groups(policy), "poddisruptionbudgets", "poddisruptionbudgets/status"),
		rule(read, groups(networking), "networkpolicies", "ingresses", "ingresses/status"),
		rule(read, groups(resource), "resourceclaims", "resourceclaims/status", "resourceclaimtemplates"),
	}
}

func editRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(read, groups(core), "pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"),
		rule(verbs("impersonate"), groups(core), "serviceaccounts"),
		rule(write, groups(core), "pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"),
		rule(verbs("create"), groups(core), "pods/eviction"),
		rule(write, groups(core), "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
			"services", "services/proxy", "persistentvolumeclaims", "configmaps", "secrets"),
		rule(verbs("create"), groups(core), "serviceaccounts/token"),
		rule(write, groups(core, events), "events"),
		rule(write, groups(apps), "statefulsets", "statefulsets/scale", "daemonsets",
			"deployments", "deployments/scale", "deployments/rollback", "replicasets", "replicasets/scale"),
		rule(write, groups(autoscaling), "horizontalpodautoscalers"),
		rule(write, groups(batch), "jobs", "cronjobs"),
		rule(write, groups(extensions), "daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses",
			"replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"),
		rule(write, groups(policy), "poddisruptionbudgets"),
		rule(write, groups(networking), "networkpolicies", "ingresses"),
		rule(readWrite, groups(coordination), "leases"),
		rule(write, groups(resource), "resourceclaims", "resourceclaimtemplates"),
	}
}

// NodeRules are what a kubelet may do: upstream's system:node role, which
// the Node authorizer applies to each kubelet.
func NodeRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(verbs("create"), groups(authentication), "tokenreviews"),
		rule(verbs("create"), groups(authorization), "subjectaccessreviews", "localsubjectaccessreviews"),
		rule(read, groups(core), "services"),
		rule(verbs("create", "get", "list", "watch"), groups(core), "nodes"),
		rule(verbs("update", "patch"), groups(core), "nodes/status"),
		rule(verbs("update", "patch"), groups(core), "nodes"),
		eventWriting(),
		rule(read, groups(core), "pods"),
		// Mirror pods of static pods.
		rule(verbs("create", "delete"), groups(core), "pods"),
		rule(verbs("update", "patch"), groups(core), "pods/status"),
		rule(verbs("create"), groups(core), "pods/eviction"),
		rule(read, groups(core), "secrets", "configmaps"),
		rule(verbs("get"), groups(core), "persistentvolumeclaims", "persistentvolumes"),
		rule(verbs("get"), groups(core), "endpoints"),
		rule(verbs("create", "get", "list", "watch"), groups(certificates), "certificatesigningrequests"),
		rule(verbs("get", "create", "update", "patch", "delete"), groups(coordination), "leases"),
		rule(verbs("get"), groups(storage), "volumeattachments"),
		rule(verbs("create"), groups(core), "serviceaccounts/token"),
		rule(verbs("get", "update", "patch"), groups(core), "persistentvolumeclaims/status"),
		rule(read, groups(storage), "csidrivers"),
		rule(verbs("get", "create", "update", "patch", "delete"), groups(storage), "csinodes"),
		rule(read, groups(node), "runtimeclasses"),
		rule(verbs("get"), groups(resource), "resourceclaims"),
		rule(verbs("deletecollection"), groups(resource), "resourceslices"),
		rule(read, groups(certificates), "clustertrustbundles"),
		rule(verbs("get", "list", "watch", "create"), groups(certificates), "podcertificaterequests"),
	}
}

// ClusterRoles are the cluster roles of the policy.
func ClusterRoles() []rbacv1.ClusterRole {
	roles := []rbacv1.ClusterRole{
		clusterRole("cluster-admin", rule(verbs("*"), groups("*"), "*"), urls(verbs("*"), "*")),
		clusterRole("system:discovery", urls(verbs("get"), "/livez", "/readyz", "/healthz", "/version", "/version/",
			"/openapi", "/openapi/*", "/api", "/api/*", "/apis", "/apis/*")),
		clusterRole("system:monitoring",
			urls(verbs("get"), "/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*", "/healthz/*"),
			rule(verbs("get"), groups(core), "nodes/metrics")),
		clusterRole("system:basic-user",
			rule(verbs("create"), groups(authorization), "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
			rule(verbs("create"), groups(authentication), "selfsubjectreviews")),
		clusterRole("system:public-info-viewer", urls(verbs("get"), "/livez", "/readyz", "/healthz", "/version", "/version/")),
		aggregated("admin", aggregateToAdmin, nil),
		aggregated("edit", aggregateToEdit, map[string]string{aggregateToAdmin: "true"}),
		aggregated("view", aggregateToView, map[string]string{aggregateToEdit: "true"}),
		labelled(clusterRole("system:aggregate-to-admin",
			rule(verbs("create"), groups(authorization), "localsubjectaccessreviews"),
			rule(readWrite, groups(rbac), "roles", "rolebindings")), aggregateToAdmin),
		labelled(clusterRole("system:aggregate-to-edit", editRules()...), aggregateToEdit),
		labelled(clusterRole("system:aggregate-to-view", viewRules()...), aggregateToView),
		clusterRole("system:heapster",
			rule(read, groups(core), "events", "pods", "nodes", "namespaces"),
			rule(read, groups(extensions), "deployments")),
		clusterRole("system:node", NodeRules()...),
		clusterRole("system:node-problem-detector",
			rule(verbs("get"), groups(core), "nodes"),
			rule(verbs("patch"), groups(core), "nodes/status"),
			eventWriting()),
		clusterRole("system:node-bootstrapper", rule(verbs("create", "get", "list", "watch"), groups(certificates), "certificatesigningrequests")),
		clusterRole("system:auth-delegator",
			rule(verbs("create"), groups(authentication), "tokenreviews"),
			rule(verbs("create"), groups(authorization), "subjectaccessreviews")),
		clusterRole("system:kube-aggregator", rule(read, groups(core), "services", "endpoints")),
		clusterRole("system:kube-controller-manager",
			eventWriting(),
			rule(verbs("create"), groups(coordination), "leases"),
			named(rule(verbs("get", "update"), groups(coordination), "leases"), "kube-controller-manager"),
			rule(verbs("create"), groups(core), "secrets", "serviceaccounts"),
			rule(verbs("delete"), groups(core), "secrets"),
			rule(verbs("get"), groups(core), "namespaces", "secrets", "serviceaccounts", "configmaps"),
			rule(verbs("update"), groups(core), "secrets", "serviceaccounts"),
			rule(verbs("create"), groups(authentication), "tokenreviews"),
			rule(verbs("create"), groups(authorization), "subjectaccessreviews"),
			rule(verbs("list", "watch"), groups("*"), "*"),
			rule(verbs("create"), groups(core), "serviceaccounts/token")),
		clusterRole("system:kube-dns", rule(verbs("list", "watch"), groups(core), "endpoints", "services")),
		clusterRole("system:persistent-volume-provisioner",
			rule(verbs("get", "list", "watch", "create", "delete"), groups(core), "persistentvolumes"),
			rule(verbs("get", "list", "watch", "update"), groups(core), "persistentvolumeclaims"),
			rule(read, groups(storage), "storageclasses"),
			rule(verbs("watch"), groups(core), "events"),
			eventWriting()),
		clusterRole("system:certificates.k8s.io:certificatesigningrequests:nodeclient",
			rule(verbs("create"), groups(certificates), "certificatesigningrequests/nodeclient")),
		clusterRole("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
			rule(verbs("create"), groups(certificates), "certificatesigningrequests/selfnodeclient")),
		clusterRole("system:volume-scheduler",
			rule(readUpdate, groups(core), "persistentvolumes"),
			rule(read, groups(storage), "storageclasses"),
			rule(readUpdate, groups(core), "persistentvolumeclaims")),
		signerApprover("system:certificates.k8s.io:legacy-unknown-approver", "kubernetes.io/legacy-unknown"),
		signerApprover("system:certificates.k8s.io:kubelet-serving-approver", "kubernetes.io/kubelet-serving"),
		signerApprover("system:certificates.k8s.io:kube-apiserver-client-approver", "kubernetes.io/kube-apiserver-client"),
		signerApprover("system:certificates.k8s.io:kube-apiserver-client-kubelet-approver", "kubernetes.io/kube-apiserver-client-kubelet"),
		clusterRole("system:cluster-trust-bundle-discovery", rule(read, groups(certificates), "clustertrustbundles")),
		clusterRole("system:service-account-issuer-discovery", urls(verbs("get"),
			"/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/")),
		clusterRole("system:kubelet-api-admin",
			rule(verbs("get", "list", "watch"), groups(core), "nodes"),
			rule(verbs("proxy"), groups(core), "nodes"),
			rule(verbs("*"), groups(core), "nodes/proxy", "nodes/metrics", "nodes/stats", "nodes/log")),
		clusterRole("system:node-proxier",
			rule(verbs("list", "watch"), groups(core), "services", "endpoints"),
			rule(verbs("get", "list", "watch"), groups(core), "nodes"),
			eventWriting(),
			rule(verbs("list", "watch"), groups(networking), "servicecidrs"),
			rule(verbs("list", "watch"), groups(discovery), "endpointslices")),
		clusterRole("system:kube-scheduler",
			eventWriting(),
			rule(verbs("create"), groups(coordination), "leases"),
			named(rule(verbs("get", "update", "list", "watch"), groups(coordination), "leases"), "kube-scheduler"),
			rule(readWrite, groups(coordination), "leasecandidates"),
			rule(read, groups(core), "nodes"),
			rule(verbs("get", "list", "watch", "delete"), groups(core), "pods"),
			rule(verbs("create"), groups(core), "pods/binding", "bindings"),
			rule(verbs("patch", "update"), groups(core), "pods/status"),
			rule(read, groups(core), "services", "replicationcontrollers"),
			rule(read, groups(apps, extensions), "replicasets"),
			rule(read, groups(apps), "statefulsets"),
			rule(read, groups(policy), "poddisruptionbudgets"),
			rule(read, groups(core), "persistentvolumeclaims", "persistentvolumes"),
			rule(verbs("create"), groups(authentication), "tokenreviews"),
			rule(verbs("create"), groups(authorization), "subjectaccessreviews"),
			rule(read, groups(storage), "csinodes"),
			rule(verbs("get", "list", "watch"), groups(storage), "volumeattachments"),
			rule(read, groups(core), "namespaces"),
			rule(read, groups(storage), "csidrivers"),
			rule(read, groups(storage), "csistoragecapacities"),
			rule(read, groups(resource), "deviceclasses"),
			rule(readUpdate, groups(resource), "resourceclaims"),
			rule(readUpdate, groups(resource), "resourceclaims/status"),
			rule(verbs("update"), groups(core), "pods/finalizers"),
			rule(read, groups(resource), "resourceslices", "devicetaintrules")),
	}
	roles = append(roles, controllerRoles()...)
	for i := range roles {
		bootstrapped(&roles[i].ObjectMeta)
	}
	return roles
}

// ClusterRoleBindings give the cluster roles to upstream's subjects.
// system:node is bound to nobody: the Node authorizer grants it.
func ClusterRoleBindings() []rbacv1.ClusterRoleBinding {
	bindings := []rbacv1.ClusterRoleBinding{
		clusterBinding("cluster-admin", group(user.SystemPrivilegedGroup)),
		clusterBinding("system:monitoring", group(user.MonitoringGroup)),
		clusterBinding("system:discovery", group(user.AllAuthenticated)),
		clusterBinding("system:basic-user", group(user.AllAuthenticated)),
		clusterBinding("system:public-info-viewer", group(user.AllAuthenticated), group(user.AllUnauthenticated)),
		clusterBinding("system:node-proxier", userSubject(user.KubeProxy)),
		clusterBinding("system:kube-controller-manager", userSubject(user.KubeControllerManager)),
		clusterBinding("system:kube-dns", serviceAccountSubject("kube-system", "kube-dns")),
		clusterBinding("system:kube-scheduler", userSubject(user.KubeScheduler)),
		clusterBinding("system:volume-scheduler", userSubject(user.KubeScheduler)),
		clusterBinding("system:node"),
		clusterBinding("system:service-account-issuer-discovery", group(serviceaccount.AllServiceAccountsGroup)),
		clusterBinding("system:cluster-trust-bundle-discovery", group(serviceaccount.AllServiceAccountsGroup)),
	}
	bindings = append(bindings, controllerRoleBindings(controllerRoles())...)
	for i := range bindings {
		bootstrapped(&bindings[i].ObjectMeta)
	}
	return bindings
}

// NamespaceRoles are the policy's roles in kube-system and kube-public.
func NamespaceRoles() []rbacv1.Role {
	leaderLocking := []rbacv1.PolicyRule{
		rule(verbs("get", "watch", "list", "create", "update"), groups(coordination), "leases"),
		rule(verbs("get", "watch", "list", "create", "update"), groups(coordination), "leasecandidates"),
	}
	roles := []rbacv1.Role{
		role("kube-system", "extension-apiserver-authentication-reader",
			named(rule(read, groups(core), "configmaps"), "extension-apiserver-authentication")),
		role("kube-system", "system:controller:bootstrap-signer", rule(read, groups(core), "secrets")),
		role("kube-system", "system:controller:cloud-provider", rule(verbs("create", "get", "list", "watch"), groups(core), "configmaps")),
		role("kube-system", "system:controller:token-cleaner", rule(verbs("get", "list", "watch", "delete"), groups(core), "secrets"), eventWriting()),
		role("kube-system", "system::leader-locking-kube-controller-manager", leaderLocking...),
		role("kube-system", "system::leader-locking-kube-scheduler", leaderLocking...),
		role("kube-public", "system:controller:bootstrap-signer",
			rule(read, groups(core), "configmaps"),
			named(rule(verbs("update"), groups(core), "configmaps"), "cluster-info"),
			eventWriting()),
	}
	for i := range roles {
		bootstrapped(&roles[i].ObjectMeta)
	}
	return roles
}

// NamespaceRoleBindings give the namespace roles.
func NamespaceRoleBindings() []rbacv1.RoleBinding {
	bindings := []rbacv1.RoleBinding{
		binding("kube-system", "system::extension-apiserver-authentication-reader", "extension-apiserver-authentication-reader",
			userSubject(user.KubeControllerManager), userSubject(user.KubeScheduler)),
		binding("kube-system", "system::leader-locking-kube-controller-manager", "system::leader-locking-kube-controller-manager",
			userSubject(user.KubeControllerManager), serviceAccountSubject("kube-system", "kube-controller-manager"),
			serviceAccountSubject("kube-system", "leader-election-controller")),
		binding("kube-system", "system::leader-locking-kube-scheduler", "system::leader-locking-kube-scheduler",
			userSubject(user.KubeScheduler), serviceAccountSubject("kube-system", "kube-scheduler")),
		binding("kube-system", "system:controller:bootstrap-signer", "system:controller:bootstrap-signer",
			serviceAccountSubject("kube-system", "bootstrap-signer")),
		binding("kube-system", "system:controller:cloud-provider", "system:controller:cloud-provider",
			serviceAccountSubject("kube-system", "cloud-provider")),
		binding("kube-system", "system:controller:token-cleaner", "system:controller:token-cleaner",
			serviceAccountSubject("kube-system", "token-cleaner")),
		binding("kube-public", "system:controller:bootstrap-signer", "system:controller:bootstrap-signer",
			serviceAccountSubject("kube-system", "bootstrap-signer")),
	}
	for i := range bindings {
		bootstrapped(&bindings[i].ObjectMeta)
	}
	return bindings
}

// bootstrapped marks an object as the policy's, to be kept up to date
// unless an operator sets the autoupdate annotation to false.
func bootstrapped(m *metav1.ObjectMeta) {
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	m.Labels["kubernetes.io/bootstrapping"] = "rbac-defaults"
	m.Annotations = map[string]string{rbacv1.AutoUpdateAnnotationKey: "true"}
}

func clusterRole(name string, rules ...rbacv1.PolicyRule) rbacv1.ClusterRole {
	return rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
}

func labelled(r rbacv1.ClusterRole, label string) rbacv1.ClusterRole {
	r.Labels = map[string]string{label: "true"}
	return r
}

// aggregated is a role whose rules the aggregation controller gathers
// from the cluster roles labelled selector=true.
func aggregated(name, selector string, labels map[string]string) rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
			{MatchLabels: map[string]string{selector: "true"}},
		}},
	}
}

func signerApprover(name, signer string) rbacv1.ClusterRole {
	return clusterRole(name, named(rule(verbs("approve"), groups(certificates), "signers"), signer))
}

func role(namespace, name string, rules ...rbacv1.PolicyRule) rbacv1.Role {
	return rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Rules: rules}
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func userSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

func serviceAccountSubject(namespace, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}
}

// clusterBinding binds the cluster role of the same name.
func clusterBinding(name string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
	return rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   subjects,
	}
}

func binding(namespace, name, roleName string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
	return rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: roleName},
		Subjects:   subjects,
	}
}
