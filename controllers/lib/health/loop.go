package health

import (
	"fmt"
	"net/http"
	"sync/atomic"
)

// Loop is the health check of a component's main loop (the controllers,
// the scheduling loop): healthy while it runs or waits for its lease,
// failing once it has stopped, so that /healthz never says ok for a
// component that does nothing.
type Loop struct {
	name    string
	stopped atomic.Pointer[string]
}

// NewLoop returns a check named name (its line in /healthz?verbose).
func NewLoop(name string) *Loop { return &Loop{name: name} }

// Stopped records that the loop ended, with err if it failed.
func (l *Loop) Stopped(err error) {
	why := "stopped"
	if err != nil {
		why = "stopped: " + err.Error()
	}
	l.stopped.Store(&why)
}

func (l *Loop) Name() string { return l.name }

func (l *Loop) Check(*http.Request) error {
	if why := l.stopped.Load(); why != nil {
		return fmt.Errorf("%s %s", l.name, *why)
	}
	return nil
}
