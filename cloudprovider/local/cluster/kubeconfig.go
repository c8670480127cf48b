package cluster

import (
	"errors"
	"fmt"
	"os"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ContextName is the context (and cluster and user) `up` merges into the
// user's kubeconfig.
const ContextName = "kybernetes"

// userKubeconfig is the file kubectl reads by default: the first of
// $KUBECONFIG, else ~/.kube/config.
func userKubeconfig() string {
	return clientcmd.NewDefaultPathOptions().GetDefaultFilename()
}

// mergeKubeconfig copies the admin kubeconfig's cluster, user and context
// into the user's kubeconfig under ContextName and makes it the current
// context, keeping everything else in the file.
func mergeKubeconfig(adminPath, userPath string) error {
	admin, err := clientcmd.LoadFromFile(adminPath)
	if err != nil {
		return err
	}
	ctx, ok := admin.Contexts[admin.CurrentContext]
	if !ok {
		return fmt.Errorf("%s has no current context", adminPath)
	}
	config, err := loadOrEmpty(userPath)
	if err != nil {
		return err
	}
	config.Clusters[ContextName] = admin.Clusters[ctx.Cluster]
	config.AuthInfos[ContextName] = admin.AuthInfos[ctx.AuthInfo]
	config.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: ContextName, Namespace: ctx.Namespace}
	config.CurrentContext = ContextName
	return clientcmd.WriteToFile(*config, userPath)
}

func loadOrEmpty(path string) (*clientcmdapi.Config, error) {
	config, err := clientcmd.LoadFromFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return clientcmdapi.NewConfig(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return config, nil
}
