package bootstrappolicy

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

// controllerPrefix names the roles of the controllers, each bound to the
// kube-system service account of the controller's name: with
// --use-service-account-credentials the controller manager runs each
// controller as that account, so each holds only what its job needs.
const controllerPrefix = "system:controller:"

const (
	admissionRegistration = "admissionregistration.k8s.io"
	customMetrics         = "custom.metrics.k8s.io"
	externalMetrics       = "external.metrics.k8s.io"
	resourceMetrics       = "metrics.k8s.io"
)

// controllerRoles are upstream's per-controller roles for the
// controllers kybernetes runs (and the stock ones of the same names),
// widened only where a kybernetes controller does more than upstream's:
// the endpoint controller writes EndpointSlices as well as Endpoints, the
// job controller deletes the jobs its TTL has expired, and
// the node controller's account also runs taint eviction and node IPAM,
// as in upstream's manager.
func controllerRoles() []rbacv1.ClusterRole {
	scaleAny := rule(verbs("get"), groups("*"), "*/scale")
	return []rbacv1.ClusterRole{
		clusterRole(controllerPrefix+"attachdetach-controller",
			rule(verbs("list", "watch"), groups(core), "persistentvolumes", "persistentvolumeclaims"),
			rule(read, groups(core), "nodes"),
			rule(verbs("patch", "update"), groups(core), "nodes/status"),
			rule(verbs("list", "watch"), groups(core), "pods"),
			eventWriting(),
			rule(verbs("get", "create", "delete", "list", "watch"), groups(storage), "volumeattachments"),
			rule(read, groups(storage), "csidrivers"),
			rule(read, groups(storage), "csinodes")),
		clusterRole(controllerPrefix+"clusterrole-aggregation-controller",
			rule(verbs("escalate", "get", "list", "watch", "update", "patch"), groups(rbac), "clusterroles")),
		clusterRole(controllerPrefix+"cronjob-controller",
			rule(verbs("get", "list", "watch", "update"), groups(batch), "cronjobs"),
			rule(verbs("get", "list", "watch", "create", "update", "delete", "patch"), groups(batch), "jobs"),
			rule(verbs("update"), groups(batch), "cronjobs/status", "cronjobs/finalizers"),
			rule(verbs("list", "watch", "delete"), groups(core), "pods"),
			eventWriting()),
		clusterRole(controllerPrefix+"daemon-set-controller",
			rule(read, groups(extensions, apps), "daemonsets"),
			rule(verbs("update"), groups(extensions, apps), "daemonsets/status", "daemonsets/finalizers"),
			rule(verbs("list", "watch"), groups(core), "nodes"),
			rule(verbs("list", "watch", "create", "delete", "patch"), groups(core), "pods"),
			rule(verbs("create"), groups(core), "pods/binding"),
			rule(verbs("get", "list", "watch", "create", "delete", "update", "patch"), groups(apps), "controllerrevisions"),
			eventWriting()),
		clusterRole(controllerPrefix+"deployment-controller",
			rule(verbs("get", "list", "watch", "update"), groups(extensions, apps), "deployments"),
			rule(verbs("update"), groups(extensions, apps), "deployments/status", "deployments/finalizers"),
			rule(verbs("get", "list", "watch", "create", "update", "patch", "delete"), groups(apps, extensions), "replicasets"),
			rule(verbs("get", "list", "watch", "update"), groups(core), "pods"),
			eventWriting()),
		clusterRole(controllerPrefix+"disruption-controller",
			rule(read, groups(extensions, apps), "deployments"),
			rule(read, groups(apps, extensions), "replicasets"),
			rule(read, groups(core), "replicationcontrollers"),
			rule(read, groups(policy), "poddisruptionbudgets"),
			rule(read, groups(apps), "statefulsets"),
			rule(verbs("update"), groups(policy), "poddisruptionbudgets/status"),
			rule(verbs("patch", "update"), groups(core), "pods/status"),
			scaleAny,
			eventWriting()),
		clusterRole(controllerPrefix+"endpoint-controller",
			rule(read, groups(core), "services", "pods", "nodes"),
			rule(verbs("get", "list", "watch", "create", "update", "delete"), groups(core), "endpoints"),
			rule(verbs("create"), groups(core), "endpoints/restricted"),
			rule(verbs("update"), groups(core), "services/finalizers"),
			rule(verbs("get", "list", "watch", "create", "update", "delete"), groups(discovery), "endpointslices"),
			eventWriting()),
		clusterRole(controllerPrefix+"endpointslice-controller",
			rule(read, groups(core), "services", "pods", "nodes"),
			rule(verbs("update"), groups(core), "services/finalizers"),
			rule(verbs("get", "list", "watch", "create", "update", "delete"), groups(discovery), "endpointslices"),
			eventWriting()),
		clusterRole(controllerPrefix+"endpointslicemirroring-controller",
			rule(read, groups(core), "services", "endpoints"),
			rule(verbs("update"), groups(core), "services/finalizers", "endpoints/finalizers"),
			rule(verbs("get", "list", "watch", "create", "update", "delete"), groups(discovery), "endpointslices"),
			eventWriting()),
		clusterRole(controllerPrefix+"generic-garbage-collector",
			rule(verbs("get", "list", "watch", "patch", "update", "delete"), groups("*"), "*"),
			eventWriting()),
		clusterRole(controllerPrefix+"horizontal-pod-autoscaler",
			rule(read, groups(autoscaling), "horizontalpodautoscalers"),
			rule(verbs("update"), groups(autoscaling), "horizontalpodautoscalers/status"),
			rule(verbs("get", "update"), groups("*"), "*/scale"),
			rule(verbs("list", "watch"), groups(core), "pods"),
			rule(verbs("list", "watch"), groups(resourceMetrics), "pods"),
			rule(read, groups(customMetrics), "*"),
			rule(read, groups(externalMetrics), "*"),
			eventWriting()),
		clusterRole(controllerPrefix+"job-controller",
			// delete: kybernetes' job controller also expires finished
			// jobs (upstream's ttl-after-finished controller).
			rule(verbs("get", "list", "watch", "update", "patch", "delete"), groups(batch), "jobs"),
			rule(verbs("update"), groups(batch), "jobs/status", "jobs/finalizers"),
			rule(verbs("list", "watch", "create", "delete", "patch"), groups(core), "pods"),
			eventWriting()),
		clusterRole(controllerPrefix+"namespace-controller",
			rule(verbs("get", "list", "watch", "delete"), groups(core), "namespaces"),
			rule(verbs("update"), groups(core), "namespaces/finalize", "namespaces/status"),
			rule(verbs("get", "list", "watch", "delete", "deletecollection"), groups("*"), "*")),
		clusterRole(controllerPrefix+"node-controller",
			rule(verbs("get", "list", "watch", "update", "delete", "patch"), groups(core), "nodes"),
			rule(verbs("patch", "update"), groups(core), "nodes/status"),
			rule(verbs("patch", "update"), groups(core), "pods/status"),
			rule(verbs("list", "watch", "get", "delete"), groups(core), "pods"),
			rule(read, groups(coordination), "leases"),
			eventWriting()),
		clusterRole(controllerPrefix+"persistent-volume-binder",
			rule(verbs("get", "list", "watch", "update", "create", "delete"), groups(core), "persistentvolumes"),
			rule(verbs("update"), groups(core), "persistentvolumes/status"),
			rule(verbs("get", "list", "watch", "update"), groups(core), "persistentvolumeclaims"),
			rule(verbs("update"), groups(core), "persistentvolumeclaims/status"),
			rule(verbs("list", "watch", "get", "create", "delete"), groups(core), "pods"),
			rule(read, groups(storage), "storageclasses"),
			rule(verbs("list", "watch"), groups(core), "nodes"),
			eventWriting(),
			rule(verbs("watch"), groups(core), "events")),
		// Upstream's, for a stock kube-controller-manager's controllers
		// of the newer certificate and storage migration APIs.
		clusterRole(controllerPrefix+"podcertificaterequestcleaner",
			rule(verbs("get", "list", "watch", "delete"), groups(certificates), "podcertificaterequests")),
		clusterRole(controllerPrefix+"kube-apiserver-serving-clustertrustbundle-publisher",
			named(rule(verbs("attest"), groups(certificates), "signers"), "kubernetes.io/kube-apiserver-serving"),
			rule(verbs("create", "update", "delete", "list", "watch"), groups(certificates), "clustertrustbundles"),
			eventWriting()),
		clusterRole(controllerPrefix+"storage-version-migrator-controller",
			rule(verbs("list", "patch"), groups("*"), "*"),
			rule(verbs("get"), groups("apiextensions.k8s.io"), "customresourcedefinitions"),
			rule(verbs("patch"), groups("apiextensions.k8s.io"), "customresourcedefinitions/status"),
			rule(verbs("update"), groups("storagemigration.k8s.io"), "storageversionmigrations/status")),
		// kybernetes's own: the built-in local-path provisioner.
		clusterRole(controllerPrefix+"local-path-provisioner",
			rule(verbs("get", "list", "watch", "create", "delete", "patch"), groups(core), "persistentvolumes"),
			rule(read, groups(core), "persistentvolumeclaims", "nodes"),
			rule(verbs("get", "list", "watch", "create"), groups(storage), "storageclasses"),
			eventWriting()),
		clusterRole(controllerPrefix+"pod-garbage-collector",
			rule(verbs("list", "watch", "delete"), groups(core), "pods"),
			rule(read, groups(core), "nodes"),
			rule(verbs("patch"), groups(core), "pods/status")),
		clusterRole(controllerPrefix+"replicaset-controller",
			rule(verbs("get", "list", "watch", "update"), groups(apps, extensions), "replicasets"),
			rule(verbs("update"), groups(apps, extensions), "replicasets/status", "replicasets/finalizers"),
			rule(verbs("list", "watch", "patch", "create", "delete"), groups(core), "pods"),
			eventWriting()),
		clusterRole(controllerPrefix+"replication-controller",
			rule(verbs("get", "list", "watch", "update"), groups(core), "replicationcontrollers"),
			rule(verbs("update"), groups(core), "replicationcontrollers/status", "replicationcontrollers/finalizers"),
			rule(verbs("list", "watch", "patch", "create", "delete"), groups(core), "pods"),
			eventWriting()),
		clusterRole(controllerPrefix+"resourcequota-controller",
			rule(verbs("list", "watch"), groups("*"), "*"),
			rule(verbs("update"), groups(core), "resourcequotas/status"),
			eventWriting()),
		clusterRole(controllerPrefix+"route-controller",
			rule(verbs("list", "watch"), groups(core), "nodes"),
			rule(verbs("patch"), groups(core), "nodes/status"),
			eventWriting()),
		clusterRole(controllerPrefix+"service-account-controller",
			rule(verbs("create"), groups(core), "serviceaccounts"),
			eventWriting()),
		clusterRole(controllerPrefix+"service-controller",
			rule(read, groups(core), "services"),
			rule(verbs("patch", "update"), groups(core), "services/status"),
			rule(verbs("list", "watch"), groups(core), "nodes"),
			eventWriting()),
		clusterRole(controllerPrefix+"statefulset-controller",
			rule(verbs("list", "watch"), groups(core), "pods"),
			rule(read, groups(apps), "statefulsets"),
			rule(verbs("update"), groups(apps), "statefulsets/status", "statefulsets/finalizers"),
			rule(verbs("get", "create", "delete", "update", "patch"), groups(core), "pods"),
			rule(verbs("get", "create", "delete", "update", "patch", "list", "watch"), groups(apps), "controllerrevisions"),
			rule(verbs("get", "create", "list", "watch", "update", "delete"), groups(core), "persistentvolumeclaims"),
			rule(verbs("update"), groups(core), "pods/finalizers"),
			eventWriting()),
		clusterRole(controllerPrefix+"ttl-after-finished-controller",
			rule(verbs("get", "list", "watch", "delete"), groups(batch), "jobs"),
			eventWriting()),
		clusterRole(controllerPrefix+"certificate-controller",
			rule(verbs("get", "list", "watch", "delete"), groups(certificates), "certificatesigningrequests"),
			rule(verbs("update"), groups(certificates), "certificatesigningrequests/status", "certificatesigningrequests/approval"),
			named(rule(verbs("approve"), groups(certificates), "signers"), "kubernetes.io/kube-apiserver-client-kubelet"),
			named(rule(verbs("sign"), groups(certificates), "signers"), "kubernetes.io/legacy-unknown",
				"kubernetes.io/kube-apiserver-client", "kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving"),
			rule(verbs("create"), groups(authorization), "subjectaccessreviews"),
			eventWriting()),
		clusterRole(controllerPrefix+"pvc-protection-controller",
			rule(verbs("get", "list", "watch", "update"), groups(core), "persistentvolumeclaims"),
			rule(verbs("update"), groups(core), "persistentvolumeclaims/status"),
			rule(read, groups(core), "pods"),
			eventWriting()),
		clusterRole(controllerPrefix+"pv-protection-controller",
			rule(verbs("get", "list", "watch", "update"), groups(core), "persistentvolumes"),
			eventWriting()),
		clusterRole(controllerPrefix+"root-ca-cert-publisher",
			rule(verbs("create", "update"), groups(core), "configmaps"),
			eventWriting()),
		clusterRole(controllerPrefix+"validatingadmissionpolicy-status-controller",
			rule(read, groups(admissionRegistration), "validatingadmissionpolicies"),
			rule(verbs("get", "patch", "update"), groups(admissionRegistration), "validatingadmissionpolicies/status"),
			eventWriting()),
	}
}

// controllerRoleBindings bind each controller role to its account.
func controllerRoleBindings(roles []rbacv1.ClusterRole) []rbacv1.ClusterRoleBinding {
	var bindings []rbacv1.ClusterRoleBinding
	for _, r := range roles {
		account := r.Name[len(controllerPrefix):]
		bindings = append(bindings, clusterBinding(r.Name, serviceAccountSubject("kube-system", account)))
	}
	return bindings
}
