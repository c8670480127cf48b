// Package certificatesigningrequest serves certificates.k8s.io/v1
// certificatesigningrequests and their status and approval subresources.
//
// A request's spec is written once, by its requestor, and the server
// records who that was; after that each part has one writer: approvers
// add Approved or Denied through /approval, signers set the certificate
// (and Failed) through /status, and the main resource changes only
// metadata.
package certificatesigningrequest

import (
	"context"
	"strings"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/kybernetes/kybernetes/apis/certificates"
	"github.com/kybernetes/kybernetes/apis/scheme"
	"github.com/kybernetes/kybernetes/registry/strategy"
	"github.com/kybernetes/kybernetes/registry/tables"
)

type csr = certificatesv1.CertificateSigningRequest

// REST is the certificatesigningrequests resource.
type REST struct{ *genericregistry.Store }

// ShortNames makes `kubectl get csr` work.
func (*REST) ShortNames() []string { return []string{"csr"} }

// NewREST returns the storage with its status and approval subresources.
func NewREST(optsGetter generic.RESTOptionsGetter) (*REST, *strategy.StatusREST, *strategy.StatusREST, error) {
	s := strategy.New[*csr](scheme.Scheme, false)
	s.ValidateObject = certificates.ValidateCertificateSigningRequest
	s.ValidateObjectUpdate = certificates.ValidateCertificateSigningRequestUpdate
	s.Fields = certificates.CertificateSigningRequestFields
	s.PrepareCreate = func(obj *csr) {
		obj.Status = certificatesv1.CertificateSigningRequestStatus{Conditions: []certificatesv1.CertificateSigningRequestCondition{}}
	}
	s.PrepareUpdate = func(obj, old *csr) {
		obj.Spec, obj.Status = old.Spec, old.Status
	}
	s.ResetFields = resetFields("spec", "status")
	store, err := s.Store(optsGetter, strategy.Resource{
		Plural:   certificatesv1.Resource("certificatesigningrequests"),
		Singular: certificatesv1.Resource("certificatesigningrequest"),
		New:      func() runtime.Object { return &csr{} },
		NewList:  func() runtime.Object { return &certificatesv1.CertificateSigningRequestList{} },
		Table:    table,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	store.CreateStrategy = recordRequestor{s}

	// Signers write the certificate and their own conditions; what an
	// approver decided stays as stored.
	status := *s
	status.ValidateObjectUpdate = certificates.ValidateCertificateSigningRequestStatusUpdate
	status.PrepareUpdate = func(obj, old *csr) {
		obj.Spec = old.Spec
		keepConditions(obj, old, certificatesv1.CertificateApproved)
		keepConditions(obj, old, certificatesv1.CertificateDenied)
		stampConditions(obj, old)
	}
	status.ResetFields = resetFields("spec", "status.conditions")

	// Approvers write conditions only.
	approval := *s
	approval.ValidateObjectUpdate = certificates.ValidateCertificateSigningRequestApprovalUpdate
	approval.PrepareUpdate = func(obj, old *csr) {
		stampConditions(obj, old)
		conditions := obj.Status.Conditions
		obj.Spec, obj.Status = old.Spec, old.Status
		obj.Status.Conditions = conditions
	}
	approval.ResetFields = resetFields("spec", "status.certificate")

	return &REST{store}, strategy.NewStatusREST(store, &status), strategy.NewStatusREST(store, &approval), nil
}

func resetFields(paths ...string) map[fieldpath.APIVersion]*fieldpath.Set {
	set := fieldpath.NewSet()
	for _, p := range paths {
		var parts []interface{}
		for _, part := range strings.Split(p, ".") {
			parts = append(parts, part)
		}
		set.Insert(fieldpath.MakePathOrDie(parts...))
	}
	return map[fieldpath.APIVersion]*fieldpath.Set{"certificates.k8s.io/v1": set}
}

// recordRequestor sets spec.username, uid, groups and extra to the user
// who creates the request, whatever the client sent: approvers and
// signers decide on who asked, so the requestor cannot choose it.
type recordRequestor struct{ *strategy.Strategy[*csr] }

func (r recordRequestor) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	r.Strategy.PrepareForCreate(ctx, obj)
	req := obj.(*csr)
	req.Spec.Username, req.Spec.UID, req.Spec.Groups, req.Spec.Extra = "", "", nil, nil
	user, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return
	}
	req.Spec.Username, req.Spec.UID, req.Spec.Groups = user.GetName(), user.GetUID(), user.GetGroups()
	if extra := user.GetExtra(); len(extra) > 0 {
		req.Spec.Extra = map[string]certificatesv1.ExtraValue{}
		for k, v := range extra {
			req.Spec.Extra[k] = v
		}
	}
}

// keepConditions puts back the stored conditions of type t when a write
// carries as many of them, so a signer cannot rewrite an approval; when the
// counts differ, validation refuses the write.
func keepConditions(obj, old *csr, t certificatesv1.RequestConditionType) {
	var oldAt, newAt []int
	for i, c := range old.Status.Conditions {
		if c.Type == t {
			oldAt = append(oldAt, i)
		}
	}
	for i, c := range obj.Status.Conditions {
		if c.Type == t {
			newAt = append(newAt, i)
		}
	}
	if len(oldAt) != len(newAt) {
		return
	}
	for i := range oldAt {
		obj.Status.Conditions[newAt[i]] = old.Status.Conditions[oldAt[i]]
	}
}

// stampConditions fills the times a writer left empty: now for the update,
// and for the transition the stored time when the status has not changed.
func stampConditions(obj, old *csr) {
	now := metav1.Now()
	for i := range obj.Status.Conditions {
		c := &obj.Status.Conditions[i]
		if c.LastUpdateTime.IsZero() {
			c.LastUpdateTime = now
		}
		if !c.LastTransitionTime.IsZero() {
			continue
		}
		c.LastTransitionTime = now
		for _, o := range old.Status.Conditions {
			if o.Type == c.Type && o.Status == c.Status && !o.LastTransitionTime.IsZero() {
				c.LastTransitionTime = o.LastTransitionTime
				break
			}
		}
	}
}

// table has upstream's columns.
var table = tables.New([]metav1.TableColumnDefinition{
	tables.Name,
	tables.Age,
	{Name: "SignerName", Type: "string", Description: certificatesv1.CertificateSigningRequestSpec{}.SwaggerDoc()["signerName"]},
	{Name: "Requestor", Type: "string", Description: certificatesv1.CertificateSigningRequestSpec{}.SwaggerDoc()["username"]},
	{Name: "RequestedDuration", Type: "string", Description: certificatesv1.CertificateSigningRequestSpec{}.SwaggerDoc()["expirationSeconds"]},
	{Name: "Condition", Type: "string", Description: certificatesv1.CertificateSigningRequestStatus{}.SwaggerDoc()["conditions"]},
}, func(r *csr) []interface{} {
	signer := "<none>"
	if r.Spec.SignerName != "" {
		signer = r.Spec.SignerName
	}
	requested := "<none>"
	if r.Spec.ExpirationSeconds != nil {
		requested = duration.HumanDuration(time.Duration(*r.Spec.ExpirationSeconds) * time.Second)
	}
	return []interface{}{r.Name, tables.Since(r.CreationTimestamp), signer, r.Spec.Username, requested, Condition(r)}
})

// Condition is a request's state as kubectl shows it: Denied, Approved or
// Pending, then ",Failed" and ",Issued" as they apply.
func Condition(r *csr) string {
	state := "Pending"
	switch {
	case certificates.HasCondition(r, certificatesv1.CertificateDenied):
		state = "Denied"
	case certificates.HasCondition(r, certificatesv1.CertificateApproved):
		state = "Approved"
	}
	if certificates.HasCondition(r, certificatesv1.CertificateFailed) {
		state += ",Failed"
	}
	if len(r.Status.Certificate) > 0 {
		state += ",Issued"
	}
	return state
}
