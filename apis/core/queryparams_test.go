package core

import (
	"net/url"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestQueryParametersDecodeIntoPodOptions(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := Install(scheme); err != nil {
		t.Fatal(err)
	}
	codec := runtime.NewParameterCodec(scheme)
	logs := &corev1.PodLogOptions{}
	query := url.Values{"container": {"web"}, "follow": {"true"}, "tailLines": {"10"}, "sinceTime": {"2026-01-02T03:04:05Z"}}
	if err := codec.DecodeParameters(query, schema.GroupVersion{Version: "v1"}, logs); err != nil {
		t.Fatal(err)
	}
	if logs.Container != "web" || !logs.Follow || *logs.TailLines != 10 || logs.SinceTime.Year() != 2026 {
		t.Fatalf("decoded %+v", logs)
	}
	exec := &corev1.PodExecOptions{}
	if err := codec.DecodeParameters(url.Values{"command": {"ls", "-l"}, "stdout": {"true"}}, schema.GroupVersion{Version: "v1"}, exec); err != nil {
		t.Fatal(err)
	}
	if len(exec.Command) != 2 || exec.Command[1] != "-l" || !exec.Stdout {
		t.Fatalf("decoded %+v", exec)
	}
	if err := codec.DecodeParameters(url.Values{"follow": {"maybe"}}, schema.GroupVersion{Version: "v1"}, logs); err == nil {
		t.Fatal("a bad boolean decoded")
	}
}
