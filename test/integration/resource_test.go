package integration

import (
	"context"
	"strings"
	"testing"

	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// resource.k8s.io/v1: defaults, validation with upstream's field paths,
// immutable claim specs, the status subresource a scheduler writes, the
// STATE column, and slices selected by node and driver.
func TestDynamicResourceAllocationAPI(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	api := shared.Client.ResourceV1()
	prefix := ns + "-"

	class, err := api.DeviceClasses().Create(ctx, &resourcev1.DeviceClass{ObjectMeta: metav1.ObjectMeta{Name: prefix + "gpu"},
		Spec: resourcev1.DeviceClassSpec{Selectors: []resourcev1.DeviceSelector{{CEL: &resourcev1.CELDeviceSelector{Expression: `device.driver == "gpu.example.com"`}}}}},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.DeviceClasses().Delete(context.Background(), class.Name, metav1.DeleteOptions{}) })
	_, err = api.DeviceClasses().Create(ctx, &resourcev1.DeviceClass{ObjectMeta: metav1.ObjectMeta{Name: prefix + "empty-cel"},
		Spec: resourcev1.DeviceClassSpec{Selectors: []resourcev1.DeviceSelector{{}}}}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.selectors[0].cel")

	for _, node := range []string{"a", "b"} {
		slice := &resourcev1.ResourceSlice{ObjectMeta: metav1.ObjectMeta{Name: prefix + node},
			Spec: resourcev1.ResourceSliceSpec{Driver: "gpu.example.com", NodeName: ptr.To(prefix + node),
				Pool:    resourcev1.ResourcePool{Name: prefix + node, ResourceSliceCount: 1},
				Devices: []resourcev1.Device{{Name: "gpu-0"}}}}
		if _, err := api.ResourceSlices().Create(ctx, slice, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = api.ResourceSlices().Delete(context.Background(), slice.Name, metav1.DeleteOptions{}) })
	}
	onB, err := api.ResourceSlices().List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + prefix + "b,spec.driver=gpu.example.com"})
	if err != nil || len(onB.Items) != 1 || onB.Items[0].Name != prefix+"b" {
		t.Errorf("slices of node b: %v %v", err, onB)
	}
	_, err = api.ResourceSlices().Create(ctx, &resourcev1.ResourceSlice{ObjectMeta: metav1.ObjectMeta{Name: prefix + "bad"},
		Spec: resourcev1.ResourceSliceSpec{Driver: "gpu.example.com", AllNodes: ptr.To(true), NodeName: ptr.To("x"),
			Pool: resourcev1.ResourcePool{Name: "p", ResourceSliceCount: 1}, Devices: []resourcev1.Device{{Name: "d"}, {Name: "d"}}}},
		metav1.CreateOptions{})
	assertInvalid(t, err, "spec")
	assertInvalid(t, err, "spec.devices[1].name")

	claims := api.ResourceClaims(ns)
	claim, err := claims.Create(ctx, &resourcev1.ResourceClaim{ObjectMeta: metav1.ObjectMeta{Name: "gpu"},
		Spec: resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{{
			Name: "gpu", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: class.Name}}}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := claim.Spec.Devices.Requests[0].Exactly; r.AllocationMode != resourcev1.DeviceAllocationModeExactCount || r.Count != 1 {
		t.Errorf("request defaults: %+v", r)
	}
	_, err = claims.Create(ctx, &resourcev1.ResourceClaim{ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec: resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{{Name: "r"}},
			Config: []resourcev1.DeviceClaimConfiguration{{Requests: []string{"missing"}}}}}}, metav1.CreateOptions{})
	assertInvalid(t, err, "spec.devices.requests[0]")
	assertInvalid(t, err, "spec.devices.config[0].requests[0]")
	assertInvalid(t, err, "spec.devices.config[0].opaque")
	patch := []byte(`{"spec":{"devices":{"requests":[{"name":"gpu","exactly":{"deviceClassName":"other"}}]}}}`)
	_, err = claims.Patch(ctx, "gpu", types.MergePatchType, patch, metav1.PatchOptions{})
	assertInvalid(t, err, "spec")

	// What a scheduler writes once it picked a device, through status.
	claim.Status.Allocation = &resourcev1.AllocationResult{Devices: resourcev1.DeviceAllocationResult{Results: []resourcev1.DeviceRequestAllocationResult{{
		Request: "gpu", Driver: "gpu.example.com", Pool: prefix + "b", Device: "gpu-0"}}}}
	claim.Status.ReservedFor = []resourcev1.ResourceClaimConsumerReference{{Resource: "pods", Name: "user", UID: "uid-1"}}
	if claim, err = claims.UpdateStatus(ctx, claim, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	table, err := shared.Client.CoreV1().RESTClient().Get().AbsPath("/apis/resource.k8s.io/v1/namespaces/"+ns+"/resourceclaims").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil || !strings.Contains(string(table), `"gpu","allocated,reserved"`) {
		t.Errorf("claims table: %v %s", err, table)
	}
	claim.Status.Allocation.Devices.Results[0].Device = "gpu-1"
	_, err = claims.UpdateStatus(ctx, claim, metav1.UpdateOptions{})
	assertInvalid(t, err, "status.allocation")
}
