package core

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// addDefaultingFuncs registers the defaults upstream applies when an object
// is decoded, so that create, update, patch and dry-run all see them.
func addDefaultingFuncs(scheme *runtime.Scheme) {
	scheme.AddTypeDefaultingFunc(&corev1.Secret{}, func(obj interface{}) { SetDefaultsSecret(obj.(*corev1.Secret)) })
	scheme.AddTypeDefaultingFunc(&corev1.Namespace{}, func(obj interface{}) { SetDefaultsNamespace(obj.(*corev1.Namespace)) })
	scheme.AddTypeDefaultingFunc(&corev1.Service{}, func(obj interface{}) { SetDefaultsService(obj.(*corev1.Service)) })
	scheme.AddTypeDefaultingFunc(&corev1.Endpoints{}, func(obj interface{}) { SetDefaultsEndpoints(obj.(*corev1.Endpoints)) })
	scheme.AddTypeDefaultingFunc(&corev1.ReplicationController{}, func(obj interface{}) {
		SetDefaultsReplicationController(obj.(*corev1.ReplicationController))
	})
	scheme.AddTypeDefaultingFunc(&corev1.PersistentVolume{}, func(obj interface{}) {
		SetDefaultsPersistentVolume(obj.(*corev1.PersistentVolume))
	})
	scheme.AddTypeDefaultingFunc(&corev1.PersistentVolumeClaim{}, func(obj interface{}) {
		SetDefaultsPersistentVolumeClaim(obj.(*corev1.PersistentVolumeClaim))
	})
	scheme.AddTypeDefaultingFunc(&corev1.Pod{}, func(obj interface{}) { SetDefaultsPod(obj.(*corev1.Pod)) })
	scheme.AddTypeDefaultingFunc(&corev1.LimitRange{}, func(obj interface{}) { SetDefaultsLimitRange(obj.(*corev1.LimitRange)) })
	scheme.AddTypeDefaultingFunc(&corev1.PodTemplate{}, func(obj interface{}) { SetDefaultsPodSpec(&obj.(*corev1.PodTemplate).Template.Spec) })
}

// SetDefaultsSecret gives a secret without a type the Opaque type and folds
// the write-only stringData into data, where a stringData key wins, as
// upstream's v1 conversion does.
func SetDefaultsSecret(s *corev1.Secret) {
	if s.Type == "" {
		s.Type = corev1.SecretTypeOpaque
	}
	if len(s.StringData) > 0 && s.Data == nil {
		s.Data = make(map[string][]byte, len(s.StringData))
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}

// SetDefaultsNamespace reports a namespace without a phase as Active.
func SetDefaultsNamespace(ns *corev1.Namespace) {
	if ns.Status.Phase == "" {
		ns.Status.Phase = corev1.NamespaceActive
	}
}

// SetDefaultsLimitRange fills a Container limit's defaults as upstream: the
// default limit from max, the default request from the default limit, else
// from min. The LimitRanger admission applies them to containers.
func SetDefaultsLimitRange(lr *corev1.LimitRange) {
	for i := range lr.Spec.Limits {
		item := &lr.Spec.Limits[i]
		if item.Type != corev1.LimitTypeContainer {
			continue
		}
		if item.Default == nil {
			item.Default = corev1.ResourceList{}
		}
		if item.DefaultRequest == nil {
			item.DefaultRequest = corev1.ResourceList{}
		}
		fillMissing(item.Default, item.Max)
		fillMissing(item.DefaultRequest, item.Default)
		fillMissing(item.DefaultRequest, item.Min)
	}
}

// fillMissing copies into dst each quantity of src that dst lacks.
func fillMissing(dst, src corev1.ResourceList) {
	for name, q := range src {
		if _, ok := dst[name]; !ok {
			dst[name] = q.DeepCopy()
		}
	}
}
