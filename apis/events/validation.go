package events

import (
	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kybernetes/kybernetes/apis/core"
)

// Upstream's limits for events written through events.k8s.io.
const (
	reportingInstanceLengthLimit = 128
	actionLengthLimit            = 128
	reasonLengthLimit            = 128
	noteLengthLimit              = 1024
)

// ValidateEvent checks an event written through events.k8s.io/v1, which
// upstream holds to the new event rules: eventTime, reportingController,
// reportingInstance, action and reason are required and type is Normal or
// Warning. Field paths name the hub (core/v1) fields, as upstream's do.
func ValidateEvent(ev *corev1.Event) field.ErrorList {
	allErrs := core.ValidateEvent(ev)
	if ev.EventTime.IsZero() {
		allErrs = append(allErrs, field.Required(field.NewPath("eventTime"), ""))
	}
	if ev.Type != corev1.EventTypeNormal && ev.Type != corev1.EventTypeWarning {
		allErrs = append(allErrs, field.Invalid(field.NewPath("type"), ev.Type, "has invalid value: "+ev.Type))
	}
	controller := field.NewPath("reportingController")
	if ev.ReportingController == "" {
		allErrs = append(allErrs, field.Required(controller, ""))
	} else {
		for _, msg := range validation.IsQualifiedName(ev.ReportingController) {
			allErrs = append(allErrs, field.Invalid(controller, ev.ReportingController, msg))
		}
	}
	allErrs = append(allErrs, requiredWithLimit(ev.ReportingInstance, reportingInstanceLengthLimit, field.NewPath("reportingInstance"))...)
	allErrs = append(allErrs, requiredWithLimit(ev.Action, actionLengthLimit, field.NewPath("action"))...)
	allErrs = append(allErrs, requiredWithLimit(ev.Reason, reasonLengthLimit, field.NewPath("reason"))...)
	if len(ev.Message) > noteLengthLimit {
		allErrs = append(allErrs, field.TooLong(field.NewPath("note"), "", noteLengthLimit))
	}
	return allErrs
}

// ValidateEventUpdate checks an update through events.k8s.io/v1.
func ValidateEventUpdate(ev, old *corev1.Event) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&ev.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateEvent(ev)...)
}

func requiredWithLimit(value string, limit int, path *field.Path) field.ErrorList {
	switch {
	case value == "":
		return field.ErrorList{field.Required(path, "")}
	case len(value) > limit:
		return field.ErrorList{field.TooLong(path, "", limit)}
	}
	return nil
}
