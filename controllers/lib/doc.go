// Package lib holds no controller. The packages under it are the pieces the
// controllers, the scheduler and the component commands share: the worker
// loop (runner), create/delete expectations, adoption and release
// (ownership), pod creation and deletion (podcontrol), leader election
// (leader), health endpoints (health), client settings (clientconfig), the
// event recorder (events), pod readiness and availability (podstatus) and
// the pod-template hash (podtemplate). Each controller of its own lives in
// controllers/<name>.
package lib
