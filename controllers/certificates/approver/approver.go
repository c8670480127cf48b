// Package approver approves kubelets' client certificate requests on its
// own, as upstream's csrapproving controller does, so that kubelet TLS
// bootstrap needs no one at a terminal: a pending request to the
// kube-apiserver-client-kubelet signer that is a node client request
// (system:node:<name> in system:nodes) is approved when its requestor may
// create certificatesigningrequests/selfnodeclient (a node renewing its
// own certificate) or certificatesigningrequests/nodeclient (a bootstrap
// token asking for a new node's). The answer comes from a
// SubjectAccessReview, so RBAC decides: upstream's bootstrap policy binds
// nodeclient to no one by default, and the operator grants it to
// system:bootstrappers.
package approver

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	certificatesinformers "k8s.io/client-go/informers/certificates/v1"
	"k8s.io/client-go/kubernetes"
	certificateslisters "k8s.io/client-go/listers/certificates/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/kybernetes/kybernetes/apis/certificates"
	"github.com/kybernetes/kybernetes/controllers/lib/runner"
)

// permission is one way a requestor may have its request approved.
type permission struct {
	subresource string
	self        bool // the request is for the requestor itself
	message     string
}

var permissions = []permission{
	{subresource: "selfnodeclient", self: true, message: "Auto approving self kubelet client certificate after SubjectAccessReview."},
	{subresource: "nodeclient", message: "Auto approving kubelet client certificate after SubjectAccessReview."},
}

// Controller approves node client requests.
type Controller struct {
	client kubernetes.Interface
	csrs   certificateslisters.CertificateSigningRequestLister
	synced []cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
}

// New returns the approver.
func New(client kubernetes.Interface, csrs certificatesinformers.CertificateSigningRequestInformer) *Controller {
	c := &Controller{
		client: client,
		csrs:   csrs.Lister(),
		synced: []cache.InformerSynced{csrs.Informer().HasSynced},
		queue:  runner.NewQueue("certificatesigningrequest-approving"),
	}
	_, _ = csrs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueue,
		UpdateFunc: func(_, obj interface{}) { c.enqueue(obj) },
	})
	return c
}

func (c *Controller) enqueue(obj interface{}) {
	if csr, ok := obj.(*certificatesv1.CertificateSigningRequest); ok && csr.Spec.SignerName == certificatesv1.KubeAPIServerClientKubeletSignerName {
		c.queue.Add(csr.Name)
	}
}

// Run approves requests until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	runner.Run(ctx, "certificatesigningrequest-approving", c.queue, c.synced, workers, runner.Always(c.sync))
}

func (c *Controller) sync(ctx context.Context, name string) error {
	csr, err := c.csrs.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(csr.Status.Certificate) > 0 || certificates.HasCondition(csr, certificatesv1.CertificateApproved) ||
		certificates.HasCondition(csr, certificatesv1.CertificateDenied) {
		return nil
	}
	req, err := certificates.ParseRequest(csr.Spec.Request)
	if err != nil {
		return nil // validation let it in; nothing here can approve it
	}
	if certificates.ValidateKubeletClientRequest(req, csr.Spec.Usages) != nil {
		return nil // not a node client request: someone else decides
	}
	for _, p := range permissions {
		if p.self && csr.Spec.Username != req.Subject.CommonName {
			continue
		}
		allowed, err := c.allowed(ctx, csr, p.subresource)
		if err != nil {
			return err
		}
		if !allowed {
			continue
		}
		csr = csr.DeepCopy()
		csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
			Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "AutoApproved", Message: p.message,
		})
		_, err = c.client.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("error updating approval for csr: %w", err)
		}
		return nil
	}
	// Not allowed: the request waits for a person (kubectl certificate
	// approve); RBAC granted later does not bring it back by itself, as
	// upstream.
	return nil
}

// allowed asks the API server whether the requestor may create the
// request's subresource.
func (c *Controller) allowed(ctx context.Context, csr *certificatesv1.CertificateSigningRequest, subresource string) (bool, error) {
	extra := map[string]authorizationv1.ExtraValue{}
	for k, v := range csr.Spec.Extra {
		extra[k] = authorizationv1.ExtraValue(v)
	}
	review, err := c.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{
			User: csr.Spec.Username, UID: csr.Spec.UID, Groups: csr.Spec.Groups, Extra: extra,
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Group: certificatesv1.GroupName, Version: "*", Resource: "certificatesigningrequests", Subresource: subresource, Verb: "create",
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return review.Status.Allowed, nil
}
