package limitranger

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// validatePod checks each Container limit against every container and init
// container, and each Pod limit against the pod's total.
func validatePod(lr *corev1.LimitRange, pod *corev1.Pod) []error {
	var errs []error
	for _, item := range lr.Spec.Limits {
		switch item.Type {
		case corev1.LimitTypeContainer:
			for _, containers := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
				for _, c := range containers {
					errs = append(errs, checkItem(item, c.Resources.Requests, c.Resources.Limits)...)
				}
			}
		case corev1.LimitTypePod:
			errs = append(errs, checkItem(item, podRequests(pod), podLimits(pod))...)
		}
	}
	return errs
}

// validateClaim checks a claim's storage request against the
// PersistentVolumeClaim limits (a claim's limits are not user input).
func validateClaim(lr *corev1.LimitRange, pvc *corev1.PersistentVolumeClaim) []error {
	var errs []error
	requests := pvc.Spec.Resources.Requests
	for _, item := range lr.Spec.Limits {
		if item.Type != corev1.LimitTypePersistentVolumeClaim {
			continue
		}
		for name, min := range item.Min {
			errs = appendIf(errs, minimum(item.Type, name, min, requests, nil))
		}
		for name, max := range item.Max {
			q, ok := requests[name]
			if !ok {
				errs = append(errs, fmt.Errorf("maximum %s usage per %s is %s.  No request is specified", name, item.Type, max.String()))
				continue
			}
			request, _, enforced := comparable(q, resource.Quantity{}, max)
			if request > enforced {
				errs = append(errs, fmt.Errorf("maximum %s usage per %s is %s, but request is %s", name, item.Type, max.String(), q.String()))
			}
		}
	}
	return errs
}

// checkItem checks one limit's min, max and maxLimitRequestRatio against
// requests and limits.
func checkItem(item corev1.LimitRangeItem, requests, limits corev1.ResourceList) []error {
	var errs []error
	for name, min := range item.Min {
		errs = appendIf(errs, minimum(item.Type, name, min, requests, limits))
	}
	for name, max := range item.Max {
		errs = appendIf(errs, maximum(item.Type, name, max, requests, limits))
	}
	for name, ratio := range item.MaxLimitRequestRatio {
		errs = appendIf(errs, maxRatio(item.Type, name, ratio, requests, limits))
	}
	return errs
}

func appendIf(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

func minimum(kind corev1.LimitType, name corev1.ResourceName, enforced resource.Quantity, requests, limits corev1.ResourceList) error {
	req, hasReq := requests[name]
	lim, hasLim := limits[name]
	request, limit, min := comparable(req, lim, enforced)
	switch {
	case !hasReq:
		return fmt.Errorf("minimum %s usage per %s is %s.  No request is specified", name, kind, enforced.String())
	case request < min:
		return fmt.Errorf("minimum %s usage per %s is %s, but request is %s", name, kind, enforced.String(), req.String())
	case hasLim && limit < min:
		return fmt.Errorf("minimum %s usage per %s is %s, but limit is %s", name, kind, enforced.String(), lim.String())
	}
	return nil
}

func maximum(kind corev1.LimitType, name corev1.ResourceName, enforced resource.Quantity, requests, limits corev1.ResourceList) error {
	req, hasReq := requests[name]
	lim, hasLim := limits[name]
	request, limit, max := comparable(req, lim, enforced)
	switch {
	case !hasLim:
		return fmt.Errorf("maximum %s usage per %s is %s.  No limit is specified", name, kind, enforced.String())
	case limit > max:
		return fmt.Errorf("maximum %s usage per %s is %s, but limit is %s", name, kind, enforced.String(), lim.String())
	case hasReq && request > max:
		return fmt.Errorf("maximum %s usage per %s is %s, but request is %s", name, kind, enforced.String(), req.String())
	}
	return nil
}

func maxRatio(kind corev1.LimitType, name corev1.ResourceName, enforced resource.Quantity, requests, limits corev1.ResourceList) error {
	req, hasReq := requests[name]
	lim, hasLim := limits[name]
	request, limit, _ := comparable(req, lim, enforced)
	if !hasReq || request == 0 {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but no request is specified or request is 0", name, kind, enforced.String())
	}
	if !hasLim || limit == 0 {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", name, kind, enforced.String())
	}
	ratio := float64(limit) / float64(request)
	// The ratio may be fractional (1.5): compare in thousandths where the
	// value allows.
	observed, allowed := ratio, float64(enforced.Value())
	if enforced.Value() <= resource.MaxMilliValue {
		observed, allowed = ratio*1000, float64(enforced.MilliValue())
	}
	if observed > allowed {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but provided ratio is %f", name, kind, enforced.String(), ratio)
	}
	return nil
}

// comparable returns the three quantities as integers: in thousandths
// where none overflows (so 100m and 0.1 compare equal), else whole units.
func comparable(request, limit, enforced resource.Quantity) (int64, int64, int64) {
	r, l, e := request.Value(), limit.Value(), enforced.Value()
	if r <= resource.MaxMilliValue && l <= resource.MaxMilliValue && e <= resource.MaxMilliValue {
		return request.MilliValue(), limit.MilliValue(), enforced.MilliValue()
	}
	return r, l, e
}

// podRequests is what a pod asks for in total: its containers and
// sidecars (restartable init containers) together, or the largest of its
// init containers if that is more; pod-level resources win where set.
func podRequests(pod *corev1.Pod) corev1.ResourceList {
	return podTotal(pod, func(r corev1.ResourceRequirements) corev1.ResourceList { return r.Requests })
}

// podLimits is the same sum over limits.
func podLimits(pod *corev1.Pod) corev1.ResourceList {
	return podTotal(pod, func(r corev1.ResourceRequirements) corev1.ResourceList { return r.Limits })
}

func podTotal(pod *corev1.Pod, of func(corev1.ResourceRequirements) corev1.ResourceList) corev1.ResourceList {
	total := corev1.ResourceList{}
	for _, c := range pod.Spec.Containers {
		add(total, of(c.Resources))
	}
	// Init containers run one at a time, each beside the sidecars started
	// before it; sidecars keep running beside the main containers.
	sidecars, initPeak := corev1.ResourceList{}, corev1.ResourceList{}
	for _, c := range pod.Spec.InitContainers {
		use := corev1.ResourceList{}
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			add(total, of(c.Resources))
			add(sidecars, of(c.Resources))
			add(use, sidecars)
		} else {
			add(use, of(c.Resources))
			add(use, sidecars)
		}
		keepMax(initPeak, use)
	}
	keepMax(total, initPeak)
	if pod.Spec.Resources != nil {
		for name, q := range of(*pod.Spec.Resources) {
			total[name] = q.DeepCopy()
		}
	}
	return total
}

func add(dst, src corev1.ResourceList) {
	for name, q := range src {
		sum := dst[name]
		sum.Add(q)
		dst[name] = sum
	}
}

func keepMax(dst, src corev1.ResourceList) {
	for name, q := range src {
		if current, ok := dst[name]; !ok || q.Cmp(current) > 0 {
			dst[name] = q.DeepCopy()
		}
	}
}
