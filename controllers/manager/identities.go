package manager

import (
	"errors"
	"fmt"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/controller-manager/pkg/clientbuilder"
)

// identities hands each controller the client configuration it runs
// with. With service account credentials (upstream's
// --use-service-account-credentials) a controller is the kube-system
// service account of its name, holding a token the builder requests and
// renews through TokenRequest, and so has only what its
// system:controller:<name> role grants; without, every controller shares
// the manager's own credentials and differs only in its user agent.
//
// The first failure is kept rather than returned at each call, so that
// the controllers can be built in one readable list and the manager
// stops, before starting any of them, if one lacks its identity.
type identities struct {
	shared *rest.Config
	// accounts is nil when the controllers share the manager's credentials.
	accounts clientbuilder.ControllerClientBuilder
	errs     []error
}

func newIdentities(config *rest.Config, root kubernetes.Interface, serviceAccounts bool) *identities {
	if !serviceAccounts {
		return &identities{shared: config}
	}
	// The manager's own certificate or token must not ride along: the
	// API server would take it before the account's token.
	anonymous := rest.AnonymousClientConfig(config)
	return &identities{accounts: clientbuilder.NewDynamicClientBuilder(anonymous, root.CoreV1(), "kube-system")}
}

// config is the client configuration of the named controller.
func (ids *identities) config(name string) *rest.Config {
	if ids.accounts == nil {
		return withAgent(ids.shared, name)
	}
	config, err := ids.accounts.Config(name)
	if err != nil {
		ids.errs = append(ids.errs, fmt.Errorf("the credentials of %s: %w", name, err))
		// Never used: err() stops the manager before any controller runs.
		return &rest.Config{}
	}
	return config
}

// client is a clientset for the named controller.
func (ids *identities) client(name string) kubernetes.Interface {
	client, err := kubernetes.NewForConfig(ids.config(name))
	if err != nil {
		ids.errs = append(ids.errs, fmt.Errorf("the client of %s: %w", name, err))
		return &kubernetes.Clientset{}
	}
	return client
}

// err is every failure to give a controller its identity.
func (ids *identities) err() error {
	return errors.Join(ids.errs...)
}
