// Command incluster is a client-go program for a pod: it reads the
// in-cluster configuration (the kube-api-access-* volume and the
// KUBERNETES_SERVICE_* variables), lists the pods of its own namespace and
// tries to read the Secrets of kube-system, printing one line for each:
// "pods: N" or "pods: error: ...", "secrets: ...". The e2e tests read its
// log.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func main() {
	config, err := rest.InClusterConfig()
	if err != nil {
		fmt.Println("config: error:", err)
		os.Exit(1)
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		fmt.Println("client: error:", err)
		os.Exit(1)
	}
	namespace, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
	if err != nil {
		fmt.Println("namespace: error:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	pods, err := client.CoreV1().Pods(strings.TrimSpace(string(namespace))).List(ctx, metav1.ListOptions{})
	if err != nil {
		fmt.Println("pods: error:", err)
	} else {
		fmt.Println("pods:", len(pods.Items))
	}
	if _, err := client.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{}); err != nil {
		fmt.Println("secrets: error:", err)
	} else {
		fmt.Println("secrets: allowed")
	}
}
