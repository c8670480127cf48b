package registry

import (
	"context"
	"crypto/tls"
	"net/http"
	"path/filepath"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	resourcev1 "k8s.io/api/resource/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/admissionregistration/mutatingadmissionpolicy"
	"github.com/kybernetes/kybernetes/registry/admissionregistration/mutatingadmissionpolicybinding"
	"github.com/kybernetes/kybernetes/registry/admissionregistration/mutatingwebhookconfiguration"
	"github.com/kybernetes/kybernetes/registry/admissionregistration/validatingadmissionpolicy"
	"github.com/kybernetes/kybernetes/registry/admissionregistration/validatingadmissionpolicybinding"
	"github.com/kybernetes/kybernetes/registry/admissionregistration/validatingwebhookconfiguration"
	"github.com/kybernetes/kybernetes/registry/apps/controllerrevision"
	"github.com/kybernetes/kybernetes/registry/apps/daemonset"
	"github.com/kybernetes/kybernetes/registry/apps/deployment"
	"github.com/kybernetes/kybernetes/registry/apps/replicaset"
	"github.com/kybernetes/kybernetes/registry/apps/statefulset"
	"github.com/kybernetes/kybernetes/registry/authentication/selfsubjectreview"
	"github.com/kybernetes/kybernetes/registry/authentication/tokenreview"
	"github.com/kybernetes/kybernetes/registry/authorization/review"
	"github.com/kybernetes/kybernetes/registry/autoscaling/horizontalpodautoscaler"
	"github.com/kybernetes/kybernetes/registry/batch/cronjob"
	"github.com/kybernetes/kybernetes/registry/batch/job"
	"github.com/kybernetes/kybernetes/registry/certificates/certificatesigningrequest"
	"github.com/kybernetes/kybernetes/registry/certificates/clustertrustbundle"
	"github.com/kybernetes/kybernetes/registry/certificates/podcertificaterequest"
	"github.com/kybernetes/kybernetes/registry/coordination/lease"
	"github.com/kybernetes/kybernetes/registry/core/componentstatus"
	"github.com/kybernetes/kybernetes/registry/core/configmap"
	"github.com/kybernetes/kybernetes/registry/core/endpoints"
	"github.com/kybernetes/kybernetes/registry/core/event"
	"github.com/kybernetes/kybernetes/registry/core/limitrange"
	"github.com/kybernetes/kybernetes/registry/core/namespace"
	"github.com/kybernetes/kybernetes/registry/core/node"
	"github.com/kybernetes/kybernetes/registry/core/persistentvolume"
	"github.com/kybernetes/kybernetes/registry/core/persistentvolumeclaim"
	"github.com/kybernetes/kybernetes/registry/core/pod"
	"github.com/kybernetes/kybernetes/registry/core/podtemplate"
	"github.com/kybernetes/kybernetes/registry/core/replicationcontroller"
	"github.com/kybernetes/kybernetes/registry/core/resourcequota"
	"github.com/kybernetes/kybernetes/registry/core/secret"
	"github.com/kybernetes/kybernetes/registry/core/service"
	"github.com/kybernetes/kybernetes/registry/core/service/allocator"
	"github.com/kybernetes/kybernetes/registry/core/serviceaccount"
	"github.com/kybernetes/kybernetes/registry/discovery/endpointslice"
	eventsevent "github.com/kybernetes/kybernetes/registry/events/event"
	"github.com/kybernetes/kybernetes/registry/flowcontrol/flowschema"
	"github.com/kybernetes/kybernetes/registry/flowcontrol/prioritylevelconfiguration"
	"github.com/kybernetes/kybernetes/registry/metrics"
	"github.com/kybernetes/kybernetes/registry/networking/ingress"
	"github.com/kybernetes/kybernetes/registry/networking/ingressclass"
	"github.com/kybernetes/kybernetes/registry/networking/ipaddress"
	"github.com/kybernetes/kybernetes/registry/networking/servicecidr"
	"github.com/kybernetes/kybernetes/registry/node/runtimeclass"
	"github.com/kybernetes/kybernetes/registry/pki"
	"github.com/kybernetes/kybernetes/registry/policy/poddisruptionbudget"
	"github.com/kybernetes/kybernetes/registry/rbac/clusterrole"
	"github.com/kybernetes/kybernetes/registry/rbac/clusterrolebinding"
	"github.com/kybernetes/kybernetes/registry/rbac/escalation"
	"github.com/kybernetes/kybernetes/registry/rbac/role"
	"github.com/kybernetes/kybernetes/registry/rbac/rolebinding"
	"github.com/kybernetes/kybernetes/registry/rbac/rules"
	"github.com/kybernetes/kybernetes/registry/resource/deviceclass"
	"github.com/kybernetes/kybernetes/registry/resource/devicetaintrule"
	"github.com/kybernetes/kybernetes/registry/resource/resourceclaim"
	"github.com/kybernetes/kybernetes/registry/resource/resourceclaimtemplate"
	"github.com/kybernetes/kybernetes/registry/resource/resourceslice"
	"github.com/kybernetes/kybernetes/registry/scheduling/priorityclass"
	"github.com/kybernetes/kybernetes/registry/serviceaccount/token"
	"github.com/kybernetes/kybernetes/registry/storage/csidriver"
	"github.com/kybernetes/kybernetes/registry/storage/csinode"
	"github.com/kybernetes/kybernetes/registry/storage/csistoragecapacity"
	"github.com/kybernetes/kybernetes/registry/storage/storageclass"
	"github.com/kybernetes/kybernetes/registry/storage/volumeattachment"
	"github.com/kybernetes/kybernetes/registry/storage/volumeattributesclass"
	"github.com/kybernetes/kybernetes/registry/storagemigration/storageversionmigration"
)

// installAPIs serves every API group: the legacy core group under /api and
// the named groups under /apis.
func installAPIs(server *genericapiserver.GenericAPIServer, optsGetter generic.RESTOptionsGetter, o *Options, etcdTransport storagebackend.TransportConfig, sec *security) error {
	disruptionBudgets, disruptionBudgetsStatus, err := poddisruptionbudget.NewREST(optsGetter)
	if err != nil {
		return err
	}
	priorityClasses, err := priorityclass.NewREST(optsGetter)
	if err != nil {
		return err
	}
	schedulingGroup := genericapiserver.NewDefaultAPIGroupInfo(schedulingv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	schedulingGroup.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{"priorityclasses": priorityClasses}
	storageGroup, err := storageAPI(optsGetter)
	if err != nil {
		return err
	}
	resourceGroup, err := resourceAPI(optsGetter)
	if err != nil {
		return err
	}
	runtimeClasses, err := runtimeclass.NewREST(optsGetter)
	if err != nil {
		return err
	}
	nodeGroup := genericapiserver.NewDefaultAPIGroupInfo(nodev1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	nodeGroup.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{"runtimeclasses": runtimeClasses}
	policyGroup := genericapiserver.NewDefaultAPIGroupInfo(policyv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	policyGroup.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"poddisruptionbudgets": disruptionBudgets, "poddisruptionbudgets/status": disruptionBudgetsStatus,
	}
	core, repair, err := coreStorage(optsGetter, o, server.RegisterDestroyFunc)
	if err != nil {
		return err
	}
	// Service account tokens: issued by serviceaccounts/token, checked
	// against the stored service accounts and pods.
	serviceAccountStore, podStore := core["serviceaccounts"].(*serviceaccount.REST).Store, core["pods"].(*pod.REST).Store
	core["serviceaccounts/token"] = &serviceaccount.TokenREST{ServiceAccounts: serviceAccountStore, Pods: podStore,
		Issuer: sec.authentication.issuer, APIAudiences: sec.authentication.audiences, MaxExpiration: o.ServiceAccountMaxTokenExpiration,
		ExtendExpiration: o.ServiceAccountExtendTokenExpiration}
	lookup := serviceaccount.StoreLookup{ServiceAccounts: serviceAccountStore, Pods: podStore, Secrets: core["secrets"].(*secret.REST).Store}
	sec.authentication.serviceAccounts.Lookup, sec.authentication.serviceAccounts.Legacy = lookup, lookup
	if bootstrap := sec.authentication.bootstrapTokens; bootstrap != nil {
		secrets := core["secrets"].(*secret.REST).Store
		bootstrap.Secret = func(ctx context.Context, name string) (*corev1.Secret, error) {
			// From the watch cache: a join's requests need no etcd read each.
			obj, err := secrets.Get(genericapirequest.WithNamespace(ctx, metav1.NamespaceSystem), name, &metav1.GetOptions{ResourceVersion: "0"})
			if err != nil {
				return nil, err
			}
			return obj.(*corev1.Secret), nil
		}
	}
	configuration, keySet, err := token.DiscoveryHandlers(sec.authentication.issuer.Issuer, sec.authentication.serviceAccounts.Keys)
	if err != nil {
		return err
	}
	server.Handler.NonGoRestfulMux.Handle(token.ConfigurationPath, configuration)
	server.Handler.NonGoRestfulMux.Handle(token.KeySetPath, keySet)
	// Evictions consult and charge the budgets.
	core["pods/eviction"].(*pod.EvictionREST).Budgets = budgets{disruptionBudgets, disruptionBudgetsStatus}
	err = server.AddPostStartHook("kybernetes-service-allocator-repair", func(ctx genericapiserver.PostStartHookContext) error {
		if err := repair.RunOnce(ctx); err != nil {
			klog.ErrorS(err, "first repair of service allocations")
		}
		go repair.Run(ctx, o.ServiceRepairInterval)
		return nil
	})
	if err != nil {
		return err
	}
	t := etcdTransport
	etcdTLS := transport.TLSInfo{TrustedCAFile: t.TrustedCAFile, CertFile: t.CertFile, KeyFile: t.KeyFile}
	core["componentstatuses"] = componentstatus.NewREST(componentstatus.DefaultProbes(t.ServerList, etcdTLS))
	legacy := genericapiserver.NewDefaultAPIGroupInfo("", scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	legacy.VersionedResourcesStorageMap["v1"] = core
	if err := server.InstallLegacyAPIGroup(genericapiserver.DefaultLegacyAPIPrefix, &legacy); err != nil {
		return err
	}

	leases, err := lease.NewREST(optsGetter)
	if err != nil {
		return err
	}
	coordination := genericapiserver.NewDefaultAPIGroupInfo(coordinationv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	coordination.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{"leases": leases}

	eventsStorage, err := eventsevent.NewREST(optsGetter)
	if err != nil {
		return err
	}
	events := genericapiserver.NewDefaultAPIGroupInfo(eventsv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	events.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{"events": eventsStorage}

	appsStorage, err := appsStorage(optsGetter)
	if err != nil {
		return err
	}
	appsGroup := genericapiserver.NewDefaultAPIGroupInfo(appsv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	appsGroup.VersionedResourcesStorageMap["v1"] = appsStorage

	jobs, jobsStatus, err := job.NewREST(optsGetter)
	if err != nil {
		return err
	}
	cronJobs, cronJobsStatus, err := cronjob.NewREST(optsGetter)
	if err != nil {
		return err
	}
	batchGroup := genericapiserver.NewDefaultAPIGroupInfo(batchv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	batchGroup.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"jobs": jobs, "jobs/status": jobsStatus, "cronjobs": cronJobs, "cronjobs/status": cronJobsStatus,
	}

	ingresses, ingressesStatus, err := ingress.NewREST(optsGetter)
	if err != nil {
		return err
	}
	ingressClasses, err := ingressclass.NewREST(optsGetter)
	if err != nil {
		return err
	}
	serviceCIDRs, serviceCIDRsStatus, err := servicecidr.NewREST(optsGetter)
	if err != nil {
		return err
	}
	ipAddresses, err := ipaddress.NewREST(optsGetter)
	if err != nil {
		return err
	}
	networkingGroup := genericapiserver.NewDefaultAPIGroupInfo(networkingv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	networkingGroup.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"ingresses": ingresses, "ingresses/status": ingressesStatus, "ingressclasses": ingressClasses,
		"servicecidrs": serviceCIDRs, "servicecidrs/status": serviceCIDRsStatus, "ipaddresses": ipAddresses,
	}

	autoscalers, autoscalersStatus, err := horizontalpodautoscaler.NewREST(optsGetter)
	if err != nil {
		return err
	}
	autoscalingGroup := genericapiserver.NewDefaultAPIGroupInfo(autoscalingv2.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	// One store of v2 objects serves both versions; v1 is converted by hand.
	for _, version := range []string{"v2", "v1"} {
		autoscalingGroup.VersionedResourcesStorageMap[version] = map[string]rest.Storage{
			"horizontalpodautoscalers": autoscalers, "horizontalpodautoscalers/status": autoscalersStatus,
		}
	}

	slices, err := endpointslice.NewREST(optsGetter)
	if err != nil {
		return err
	}
	discoveryGroup := genericapiserver.NewDefaultAPIGroupInfo(discoveryv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	discoveryGroup.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{"endpointslices": slices}

	authentication := genericapiserver.NewDefaultAPIGroupInfo(authenticationv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	authentication.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"selfsubjectreviews": &selfsubjectreview.REST{},
		"tokenreviews":       &tokenreview.REST{Tokens: sec.authentication.tokens},
	}
	authz := sec.authorization.authorizer
	authorization := genericapiserver.NewDefaultAPIGroupInfo(authorizationv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	authorization.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"subjectaccessreviews":      &review.SubjectAccessReviews{Authorizer: authz},
		"selfsubjectaccessreviews":  &review.SelfSubjectAccessReviews{Authorizer: authz},
		"localsubjectaccessreviews": &review.LocalSubjectAccessReviews{Authorizer: authz},
		"selfsubjectrulesreviews":   &review.SelfSubjectRulesReviews{Rules: sec.authorization.rules},
	}
	rbacGroup, err := rbacAPI(optsGetter, authz)
	if err != nil {
		return err
	}

	metricsGroup, err := metricsAPI(server, o)
	if err != nil {
		return err
	}
	admissionGroup, err := admissionRegistrationAPI(optsGetter)
	if err != nil {
		return err
	}
	csrs, csrsStatus, csrsApproval, err := certificatesigningrequest.NewREST(optsGetter)
	if err != nil {
		return err
	}
	trustBundles, err := clustertrustbundle.NewREST(optsGetter)
	if err != nil {
		return err
	}
	podCertificates, podCertificatesStatus, err := podcertificaterequest.NewREST(optsGetter)
	if err != nil {
		return err
	}
	certificatesGroup := genericapiserver.NewDefaultAPIGroupInfo(certificatesv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	certificatesGroup.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"certificatesigningrequests": csrs, "certificatesigningrequests/status": csrsStatus, "certificatesigningrequests/approval": csrsApproval,
		"clustertrustbundles": trustBundles, "podcertificaterequests": podCertificates, "podcertificaterequests/status": podCertificatesStatus,
	}
	migrations, migrationsStatus, err := storageversionmigration.NewREST(optsGetter)
	if err != nil {
		return err
	}
	migrationGroup := genericapiserver.NewDefaultAPIGroupInfo(storagemigrationv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	migrationGroup.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"storageversionmigrations": migrations, "storageversionmigrations/status": migrationsStatus,
	}
	flowSchemas, flowSchemasStatus, err := flowschema.NewREST(optsGetter)
	if err != nil {
		return err
	}
	priorityLevels, priorityLevelsStatus, err := prioritylevelconfiguration.NewREST(optsGetter)
	if err != nil {
		return err
	}
	flowcontrolGroup := genericapiserver.NewDefaultAPIGroupInfo(flowcontrolv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	flowcontrolGroup.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"flowschemas": flowSchemas, "flowschemas/status": flowSchemasStatus,
		"prioritylevelconfigurations": priorityLevels, "prioritylevelconfigurations/status": priorityLevelsStatus,
	}
	return server.InstallAPIGroups(&appsGroup, &batchGroup, &autoscalingGroup, &networkingGroup, &discoveryGroup, &coordination, &events, &authentication,
		&policyGroup, &schedulingGroup, storageGroup, resourceGroup, &nodeGroup, metricsGroup, &authorization, rbacGroup, admissionGroup, &certificatesGroup, &flowcontrolGroup, &migrationGroup)
}

// admissionRegistrationAPI is admissionregistration.k8s.io/v1: the webhook
// configurations and CEL policies that the webhook and policy admission
// plugins read through informers.
func admissionRegistrationAPI(optsGetter generic.RESTOptionsGetter) (*genericapiserver.APIGroupInfo, error) {
	validatingWebhooks, err := validatingwebhookconfiguration.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	mutatingWebhooks, err := mutatingwebhookconfiguration.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	validatingPolicies, validatingPoliciesStatus, err := validatingadmissionpolicy.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	validatingBindings, err := validatingadmissionpolicybinding.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	mutatingPolicies, err := mutatingadmissionpolicy.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	mutatingBindings, err := mutatingadmissionpolicybinding.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	group := genericapiserver.NewDefaultAPIGroupInfo(admissionregistrationv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	group.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"validatingwebhookconfigurations": validatingWebhooks, "mutatingwebhookconfigurations": mutatingWebhooks,
		"validatingadmissionpolicies": validatingPolicies, "validatingadmissionpolicies/status": validatingPoliciesStatus,
		"validatingadmissionpolicybindings": validatingBindings,
		"mutatingadmissionpolicies":         mutatingPolicies, "mutatingadmissionpolicybindings": mutatingBindings,
	}
	return &group, nil
}

// rbacAPI is rbac.authorization.k8s.io/v1, its writes guarded against
// escalation through the server's authorizer (for the escalate and bind
// verbs) and the stored policy itself.
func rbacAPI(optsGetter generic.RESTOptionsGetter, authz authorizer.Authorizer) (*genericapiserver.APIGroupInfo, error) {
	roles, err := role.NewStore(optsGetter)
	if err != nil {
		return nil, err
	}
	roleBindings, err := rolebinding.NewStore(optsGetter)
	if err != nil {
		return nil, err
	}
	clusterRoles, err := clusterrole.NewStore(optsGetter)
	if err != nil {
		return nil, err
	}
	clusterRoleBindings, err := clusterrolebinding.NewStore(optsGetter)
	if err != nil {
		return nil, err
	}
	guard := &escalation.Guard{
		Resolver:   &rules.Resolver{Source: escalation.Stores{Roles: roles, RoleBindings: roleBindings, ClusterRoles: clusterRoles, ClusterRoleBindings: clusterRoleBindings}},
		Authorizer: authz,
	}
	group := genericapiserver.NewDefaultAPIGroupInfo(rbacv1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	group.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"roles": guard.Roles(roles), "rolebindings": guard.RoleBindings(roleBindings),
		"clusterroles": guard.ClusterRoles(clusterRoles), "clusterrolebindings": guard.ClusterRoleBindings(clusterRoleBindings),
	}
	return &group, nil
}

// storageAPI is storage.k8s.io/v1.
func storageAPI(optsGetter generic.RESTOptionsGetter) (*genericapiserver.APIGroupInfo, error) {
	classes, err := storageclass.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	drivers, err := csidriver.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	nodes, err := csinode.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	attachments, attachmentsStatus, err := volumeattachment.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	capacities, err := csistoragecapacity.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	attributeClasses, err := volumeattributesclass.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	group := genericapiserver.NewDefaultAPIGroupInfo(storagev1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	group.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"storageclasses": classes, "csidrivers": drivers, "csinodes": nodes,
		"volumeattachments": attachments, "volumeattachments/status": attachmentsStatus,
		"csistoragecapacities": capacities, "volumeattributesclasses": attributeClasses,
	}
	return &group, nil
}

// resourceAPI is resource.k8s.io/v1, dynamic resource allocation.
func resourceAPI(optsGetter generic.RESTOptionsGetter) (*genericapiserver.APIGroupInfo, error) {
	classes, err := deviceclass.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	claims, claimsStatus, err := resourceclaim.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	templates, err := resourceclaimtemplate.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	slices, err := resourceslice.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	taintRules, taintRulesStatus, err := devicetaintrule.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	group := genericapiserver.NewDefaultAPIGroupInfo(resourcev1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	group.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"deviceclasses": classes, "resourceclaims": claims, "resourceclaims/status": claimsStatus,
		"resourceclaimtemplates": templates, "resourceslices": slices,
		"devicetaintrules": taintRules, "devicetaintrules/status": taintRulesStatus,
	}
	return &group, nil
}

// metricsAPI is metrics.k8s.io, served from a scraper of the kubelets'
// resource metrics that starts with the server (over informers of nodes
// and pods through the loopback client).
func metricsAPI(server *genericapiserver.GenericAPIServer, o *Options) (*genericapiserver.APIGroupInfo, error) {
	client, err := kubernetes.NewForConfig(server.LoopbackClientConfig)
	if err != nil {
		return nil, err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	nodes, pods := factory.Core().V1().Nodes().Lister(), factory.Core().V1().Pods().Lister()
	transport, err := kubeletTransport(o)
	if err != nil {
		return nil, err
	}
	kubelet := &pod.Kubelet{Transport: transport, Nodes: func(_ context.Context, name string) (*corev1.Node, error) { return nodes.Get(name) }}
	scraper := &metrics.Scraper{Nodes: nodes, Endpoint: kubelet.Endpoint, Transport: transport, Resolution: o.MetricResolution}
	err = server.AddPostStartHook("kybernetes-metrics-scraper", func(ctx genericapiserver.PostStartHookContext) error {
		factory.Start(ctx.Done())
		go scraper.Run(ctx)
		return nil
	})
	if err != nil {
		return nil, err
	}
	group := genericapiserver.NewDefaultAPIGroupInfo(metricsv1beta1.GroupName, scheme.Scheme, scheme.ParameterCodec, scheme.Codecs)
	group.VersionedResourcesStorageMap["v1beta1"] = map[string]rest.Storage{
		"nodes": metrics.NewNodeREST(scraper, nodes),
		"pods":  metrics.NewPodREST(scraper, pods),
	}
	return &group, nil
}

func coreStorage(optsGetter generic.RESTOptionsGetter, o *Options, onShutdown func(func())) (map[string]rest.Storage, *allocator.Repair, error) {
	namespaces, namespaceStatus, namespaceFinalize, err := namespace.NewREST(optsGetter)
	if err != nil {
		return nil, nil, err
	}
	configMaps, err := configmap.NewREST(optsGetter)
	if err != nil {
		return nil, nil, err
	}
	secrets, err := secret.NewREST(optsGetter)
	if err != nil {
		return nil, nil, err
	}
	serviceAccounts, err := serviceaccount.NewREST(optsGetter)
	if err != nil {
		return nil, nil, err
	}
	events, err := event.NewREST(optsGetter)
	if err != nil {
		return nil, nil, err
	}
	nodes, nodesStatus, err := node.NewREST(optsGetter)
	if err != nil {
		return nil, nil, err
	}
	kubelet, err := kubeletClient(o, nodes)
	if err != nil {
		return nil, nil, err
	}
	pods, err := pod.NewStorage(optsGetter, kubelet)
	if err != nil {
		return nil, nil, err
	}
	ips, err := allocator.NewIPRange(optsGetter, o.serviceCIDR())
	if err != nil {
		return nil, nil, err
	}
	onShutdown(ips.Destroy)
	ports, err := allocator.NewPortRange(optsGetter, o.ServiceNodePortRange)
	if err != nil {
		return nil, nil, err
	}
	onShutdown(ports.Destroy)
	services, servicesStatus, err := service.NewREST(optsGetter, ips, ports)
	if err != nil {
		return nil, nil, err
	}
	endpointsStorage, err := endpoints.NewREST(optsGetter)
	if err != nil {
		return nil, nil, err
	}
	controllers, err := replicationcontroller.NewStorage(optsGetter)
	if err != nil {
		return nil, nil, err
	}
	podTemplates, err := podtemplate.NewREST(optsGetter)
	if err != nil {
		return nil, nil, err
	}
	limitRanges, err := limitrange.NewREST(optsGetter)
	if err != nil {
		return nil, nil, err
	}
	quotas, quotasStatus, err := resourcequota.NewREST(optsGetter)
	if err != nil {
		return nil, nil, err
	}
	volumes, volumesStatus, err := persistentvolume.NewREST(optsGetter)
	if err != nil {
		return nil, nil, err
	}
	claims, claimsStatus, err := persistentvolumeclaim.NewREST(optsGetter)
	if err != nil {
		return nil, nil, err
	}
	repair := allocator.NewRepair(ips, ports, services.ListAll)
	return map[string]rest.Storage{
		"namespaces":                    namespaces,
		"namespaces/status":             namespaceStatus,
		"namespaces/finalize":           namespaceFinalize,
		"configmaps":                    configMaps,
		"secrets":                       secrets,
		"serviceaccounts":               serviceAccounts,
		"events":                        events,
		"pods":                          pods.Pod,
		"pods/status":                   pods.Status,
		"pods/binding":                  pods.Binding,
		"pods/eviction":                 pods.Eviction,
		"pods/log":                      pods.Log,
		"pods/exec":                     pods.Exec,
		"pods/attach":                   pods.Attach,
		"pods/portforward":              pods.PortForward,
		"pods/proxy":                    &pod.ProxyREST{Store: pods.Pod.Store, Transport: proxyTransport},
		"bindings":                      pods.Bindings,
		"services":                      services,
		"services/status":               servicesStatus,
		"services/proxy":                serviceProxy(services, endpointsStorage, pods.Pod),
		"endpoints":                     endpointsStorage,
		"nodes":                         nodes,
		"nodes/status":                  nodesStatus,
		"nodes/proxy":                   &node.ProxyREST{Locate: kubelet.Endpoint, Transport: kubelet.Transport, ProxyTransport: proxyTransport},
		"podtemplates":                  podTemplates,
		"limitranges":                   limitRanges,
		"resourcequotas":                quotas,
		"resourcequotas/status":         quotasStatus,
		"persistentvolumes":             volumes,
		"persistentvolumes/status":      volumesStatus,
		"persistentvolumeclaims":        claims,
		"persistentvolumeclaims/status": claimsStatus,
		"replicationcontrollers":        controllers.Controller,
		"replicationcontrollers/status": controllers.Status,
		"replicationcontrollers/scale":  controllers.Scale,
	}, repair, nil
}

func appsStorage(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	deployments, err := deployment.NewStorage(optsGetter)
	if err != nil {
		return nil, err
	}
	replicaSets, err := replicaset.NewStorage(optsGetter)
	if err != nil {
		return nil, err
	}
	daemonSets, daemonSetsStatus, err := daemonset.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	statefulSets, err := statefulset.NewStorage(optsGetter)
	if err != nil {
		return nil, err
	}
	revisions, err := controllerrevision.NewREST(optsGetter)
	if err != nil {
		return nil, err
	}
	return map[string]rest.Storage{
		"deployments":         deployments.Deployment,
		"deployments/status":  deployments.Status,
		"deployments/scale":   deployments.Scale,
		"replicasets":         replicaSets.ReplicaSet,
		"replicasets/status":  replicaSets.Status,
		"replicasets/scale":   replicaSets.Scale,
		"daemonsets":          daemonSets,
		"daemonsets/status":   daemonSetsStatus,
		"controllerrevisions": revisions,
		"statefulsets":        statefulSets.StatefulSet,
		"statefulsets/status": statefulSets.Status,
		"statefulsets/scale":  statefulSets.Scale,
	}, nil
}

// servedGroupVersions are the group versions installAPIs serves; the storage
// factory needs them enabled to store cohabiting resources (events.k8s.io
// events as core/v1 events) in one place.
var servedGroupVersions = []schema.GroupVersion{
	corev1.SchemeGroupVersion,
	appsv1.SchemeGroupVersion,
	batchv1.SchemeGroupVersion,
	autoscalingv2.SchemeGroupVersion,
	autoscalingv1.SchemeGroupVersion,
	networkingv1.SchemeGroupVersion,
	discoveryv1.SchemeGroupVersion,
	eventsv1.SchemeGroupVersion,
	coordinationv1.SchemeGroupVersion,
	authenticationv1.SchemeGroupVersion,
	metricsv1beta1.SchemeGroupVersion,
	policyv1.SchemeGroupVersion,
	schedulingv1.SchemeGroupVersion,
	storagev1.SchemeGroupVersion,
	resourcev1.SchemeGroupVersion,
	nodev1.SchemeGroupVersion,
	storagemigrationv1.SchemeGroupVersion,
	rbacv1.SchemeGroupVersion,
	authorizationv1.SchemeGroupVersion,
	admissionregistrationv1.SchemeGroupVersion,
	certificatesv1.SchemeGroupVersion,
	flowcontrolv1.SchemeGroupVersion,
}

// kubeletClient reaches kubelets with the API server's kubelet client
// certificate. Like kube-apiserver without --kubelet-certificate-authority,
// it does not verify the kubelet's serving certificate.
func kubeletClient(o *Options, nodes *node.REST) (*pod.Kubelet, error) {
	transport, err := kubeletTransport(o)
	if err != nil {
		return nil, err
	}
	return &pod.Kubelet{
		Transport: transport,
		Nodes: func(ctx context.Context, name string) (*corev1.Node, error) {
			obj, err := nodes.Get(ctx, name, &metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			return obj.(*corev1.Node), nil
		},
	}, nil
}

// kubeletTransport carries the API server's kubelet client certificate.
func kubeletTransport(o *Options) (*http.Transport, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(o.pkiDir(), pki.KubeletClientCert), filepath.Join(o.pkiDir(), pki.KubeletClientKey))
	if err != nil {
		return nil, err
	}
	return utilnet.SetTransportDefaults(&http.Transport{
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12},
	}), nil
}

// proxyTransport reaches pods, services' endpoints and nodes' other ports
// over HTTP, or HTTPS without verifying the certificate, as upstream's proxy
// subresources.
var proxyTransport = utilnet.SetTransportDefaults(&http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}})

func serviceProxy(services *service.REST, endpointsStorage *endpoints.REST, pods *pod.REST) *service.ProxyREST {
	return &service.ProxyREST{
		Services:  services,
		Transport: proxyTransport,
		Endpoints: func(ctx context.Context, name string) (*corev1.Endpoints, error) {
			obj, err := endpointsStorage.Get(ctx, name, &metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			return obj.(*corev1.Endpoints), nil
		},
		Pods: func(ctx context.Context, name string) (*corev1.Pod, error) {
			obj, err := pods.Get(ctx, name, &metav1.GetOptions{})
			if err != nil {
				return nil, err
			}
			return obj.(*corev1.Pod), nil
		},
	}
}
