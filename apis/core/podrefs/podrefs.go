// Package podrefs lists the objects a pod refers to by name (Secrets,
// ConfigMaps, claims), for the Node authorizer's graph and for admission.
package podrefs

import corev1 "k8s.io/api/core/v1"

// containers are all of a pod's containers, as env sources go.
func containers(pod *corev1.Pod) [][]corev1.EnvVar {
	var envs [][]corev1.EnvVar
	for _, c := range pod.Spec.InitContainers {
		envs = append(envs, c.Env)
	}
	for _, c := range pod.Spec.Containers {
		envs = append(envs, c.Env)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		envs = append(envs, c.Env)
	}
	return envs
}

func envFroms(pod *corev1.Pod) []corev1.EnvFromSource {
	var out []corev1.EnvFromSource
	for _, c := range pod.Spec.InitContainers {
		out = append(out, c.EnvFrom...)
	}
	for _, c := range pod.Spec.Containers {
		out = append(out, c.EnvFrom...)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		out = append(out, c.EnvFrom...)
	}
	return out
}

// SecretNames are the Secrets a pod uses: pull secrets, volumes, env.
func SecretNames(pod *corev1.Pod) []string {
	var names []string
	for _, s := range pod.Spec.ImagePullSecrets {
		names = append(names, s.Name)
	}
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.Secret != nil:
			names = append(names, v.Secret.SecretName)
		case v.Projected != nil:
			for _, source := range v.Projected.Sources {
				if source.Secret != nil {
					names = append(names, source.Secret.Name)
				}
			}
		}
	}
	for _, env := range containers(pod) {
		for _, e := range env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				names = append(names, e.ValueFrom.SecretKeyRef.Name)
			}
		}
	}
	for _, from := range envFroms(pod) {
		if from.SecretRef != nil {
			names = append(names, from.SecretRef.Name)
		}
	}
	return names
}

// ConfigMapNames are the ConfigMaps a pod uses: volumes and env.
func ConfigMapNames(pod *corev1.Pod) []string {
	var names []string
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.ConfigMap != nil:
			names = append(names, v.ConfigMap.Name)
		case v.Projected != nil:
			for _, source := range v.Projected.Sources {
				if source.ConfigMap != nil {
					names = append(names, source.ConfigMap.Name)
				}
			}
		}
	}
	for _, env := range containers(pod) {
		for _, e := range env {
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
				names = append(names, e.ValueFrom.ConfigMapKeyRef.Name)
			}
		}
	}
	for _, from := range envFroms(pod) {
		if from.ConfigMapRef != nil {
			names = append(names, from.ConfigMapRef.Name)
		}
	}
	return names
}

// ClaimNames names the pod's claims, including those of its ephemeral
// volumes (<pod>-<volume>).
func ClaimNames(pod *corev1.Pod) []string {
	var names []string
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil:
			names = append(names, v.PersistentVolumeClaim.ClaimName)
		case v.Ephemeral != nil:
			names = append(names, pod.Name+"-"+v.Name)
		}
	}
	return names
}
