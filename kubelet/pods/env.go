package pods

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// configError is a container that cannot be configured (a missing
// ConfigMap key, say): the container waits with reason
// CreateContainerConfigError and the message, as upstream.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

// mountError is a volume that cannot be set up: the container waits in
// ContainerCreating with a FailedMount event, as upstream's volume manager
// leaves it, and the next sync tries again.
type mountError struct {
	volume string
	err    error
}

func (e *mountError) Error() string {
	return fmt.Sprintf("MountVolume.SetUp failed for volume %q : %v", e.volume, e.err)
}

// environment resolves a container's environment in upstream's order:
// envFrom, then env (later entries win), with $(VAR) references to earlier
// variables expanded, and values from the pod's fields, ConfigMaps and
// Secrets.
func environment(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, c *corev1.Container, podIP, hostIP string) ([]string, error) {
	var names []string
	values := map[string]string{}
	services, err := serviceEnv(ctx, client, pod)
	if err != nil {
		return nil, err
	}
	set := func(name, value string) {
		if _, ok := values[name]; !ok {
			names = append(names, name)
		}
		values[name] = value
	}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm, err := client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, from.ConfigMapRef.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) && from.ConfigMapRef.Optional != nil && *from.ConfigMapRef.Optional {
					continue
				}
				return nil, &configError{fmt.Sprintf("configmap %q not found", from.ConfigMapRef.Name)}
			}
			for k, v := range cm.Data {
				set(from.Prefix+k, v)
			}
		case from.SecretRef != nil:
			s, err := client.CoreV1().Secrets(pod.Namespace).Get(ctx, from.SecretRef.Name, metav1.GetOptions{})
			if err != nil {
				if apierrors.IsNotFound(err) && from.SecretRef.Optional != nil && *from.SecretRef.Optional {
					continue
				}
				return nil, &configError{fmt.Sprintf("secret %q not found", from.SecretRef.Name)}
			}
			for k, v := range s.Data {
				set(from.Prefix+k, string(v))
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expand(e.Value, withFallback(values, services)))
			continue
		}
		if ref := e.ValueFrom.ResourceFieldRef; ref != nil {
			value, err := resourceValue(pod, c.Name, ref)
			if err != nil {
				return nil, err
			}
			set(e.Name, value)
			continue
		}
		value, skip, err := valueFrom(ctx, client, pod, e.ValueFrom, podIP, hostIP)
		if err != nil {
			return nil, err
		}
		if !skip {
			set(e.Name, value)
		}
	}
	// Service variables never override the container's own, as upstream.
	serviceNames := make([]string, 0, len(services))
	for n := range services {
		if _, own := values[n]; !own {
			serviceNames = append(serviceNames, n)
		}
	}
	sort.Strings(serviceNames)
	out := make([]string, 0, len(names)+len(serviceNames))
	for _, n := range serviceNames {
		out = append(out, n+"="+services[n])
	}
	for _, n := range names {
		out = append(out, n+"="+values[n])
	}
	return out, nil
}

// withFallback is values, then fallback for names values lacks.
func withFallback(values, fallback map[string]string) map[string]string {
	out := make(map[string]string, len(values)+len(fallback))
	for k, v := range fallback {
		out[k] = v
	}
	for k, v := range values {
		out[k] = v
	}
	return out
}

func valueFrom(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, from *corev1.EnvVarSource, podIP, hostIP string) (string, bool, error) {
	switch {
	case from.FieldRef != nil:
		v, err := podField(pod, from.FieldRef.FieldPath, podIP, hostIP)
		return v, false, err
	case from.ConfigMapKeyRef != nil:
		ref := from.ConfigMapKeyRef
		optional := ref.Optional != nil && *ref.Optional
		cm, err := client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) && optional {
				return "", true, nil
			}
			return "", false, &configError{fmt.Sprintf("configmap %q not found", ref.Name)}
		}
		v, ok := cm.Data[ref.Key]
		if !ok {
			if optional {
				return "", true, nil
			}
			return "", false, &configError{fmt.Sprintf("couldn't find key %s in ConfigMap %s/%s", ref.Key, pod.Namespace, ref.Name)}
		}
		return v, false, nil
	case from.SecretKeyRef != nil:
		ref := from.SecretKeyRef
		optional := ref.Optional != nil && *ref.Optional
		s, err := client.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) && optional {
				return "", true, nil
			}
			return "", false, &configError{fmt.Sprintf("secret %q not found", ref.Name)}
		}
		v, ok := s.Data[ref.Key]
		if !ok {
			if optional {
				return "", true, nil
			}
			return "", false, &configError{fmt.Sprintf("couldn't find key %s in Secret %s/%s", ref.Key, pod.Namespace, ref.Name)}
		}
		return string(v), false, nil
	}
	return "", false, &configError{"an environment variable's valueFrom names no source"}
}

var labelRef = regexp.MustCompile(`^metadata\.(labels|annotations)\['(.+)'\]$`)

// podField is the downward API's value of path.
func podField(pod *corev1.Pod, path, podIP, hostIP string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return podIP, nil
	case "status.hostIP", "status.hostIPs":
		return hostIP, nil
	}
	if m := labelRef.FindStringSubmatch(path); m != nil {
		if m[1] == "labels" {
			return pod.Labels[m[2]], nil
		}
		return pod.Annotations[m[2]], nil
	}
	return "", &configError{fmt.Sprintf("unsupported fieldPath %q", path)}
}

// expand replaces $(VAR) with the value of an earlier variable, leaves
// unknown references as they are, and turns $$ into $, as upstream.
func expand(s string, values map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteByte(s[i])
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := values[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// serviceEnv are the variables upstream gives every container for the
// services it may reach: with enableServiceLinks (the default) each service
// of the pod's namespace that has a cluster IP, and always the
// "kubernetes" service in default — FOO_SERVICE_HOST, FOO_SERVICE_PORT,
// FOO_PORT, FOO_PORT_80_TCP and its _PROTO, _PORT and _ADDR.
func serviceEnv(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod) (map[string]string, error) {
	var services []corev1.Service
	if pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks {
		list, err := client.CoreV1().Services(pod.Namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		services = list.Items
	}
	if pod.Namespace != metav1.NamespaceDefault || (pod.Spec.EnableServiceLinks != nil && !*pod.Spec.EnableServiceLinks) {
		if master, err := client.CoreV1().Services(metav1.NamespaceDefault).Get(ctx, "kubernetes", metav1.GetOptions{}); err == nil {
			services = append(services, *master)
		}
	}
	env := map[string]string{}
	for _, svc := range services {
		ip := svc.Spec.ClusterIP
		if ip == "" || ip == corev1.ClusterIPNone || len(svc.Spec.Ports) == 0 {
			continue
		}
		prefix := envName(svc.Name)
		first := svc.Spec.Ports[0]
		env[prefix+"_SERVICE_HOST"] = ip
		env[prefix+"_SERVICE_PORT"] = fmt.Sprint(first.Port)
		for _, p := range svc.Spec.Ports {
			if p.Name != "" {
				env[prefix+"_SERVICE_PORT_"+envName(p.Name)] = fmt.Sprint(p.Port)
			}
		}
		proto := strings.ToLower(string(first.Protocol))
		env[prefix+"_PORT"] = fmt.Sprintf("%s://%s", proto, net.JoinHostPort(ip, fmt.Sprint(first.Port)))
		for _, p := range svc.Spec.Ports {
			proto := strings.ToLower(string(p.Protocol))
			base := fmt.Sprintf("%s_PORT_%d_%s", prefix, p.Port, strings.ToUpper(proto))
			env[base] = fmt.Sprintf("%s://%s", proto, net.JoinHostPort(ip, fmt.Sprint(p.Port)))
			env[base+"_PROTO"] = proto
			env[base+"_PORT"] = fmt.Sprint(p.Port)
			env[base+"_ADDR"] = ip
		}
	}
	return env, nil
}

func envName(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }
