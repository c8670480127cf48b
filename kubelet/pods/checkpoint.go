package pods

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	"github.com/kybernetes/kybernetes/kubelet/network"
)

// A checkpoint of each pod's state is kept in its directory, so that a
// restarted kubelet adopts the containers it left running instead of
// starting them again, and cleans up after pods deleted while it was down.

type checkpoint struct {
	Namespace  string                         `json:"namespace"`
	Name       string                         `json:"name"`
	UID        types.UID                      `json:"uid"`
	PodIP      string                         `json:"podIP,omitempty"`
	Sandbox    bool                           `json:"sandbox"`
	StartTime  metav1.Time                    `json:"startTime"`
	Finished   bool                           `json:"finished,omitempty"`
	Final      *corev1.PodStatus              `json:"final,omitempty"`
	Containers map[string]containerCheckpoint `json:"containers"`
	// Initialized and Sidecars: see podState.
	Initialized bool     `json:"initialized,omitempty"`
	Sidecars    []string `json:"sidecars,omitempty"`
}

type containerCheckpoint struct {
	ID           string                           `json:"id,omitempty"`
	Bundle       string                           `json:"bundle,omitempty"`
	Starts       int                              `json:"starts"`
	Restarts     int32                            `json:"restarts"`
	ImageID      string                           `json:"imageID,omitempty"`
	Last         *corev1.ContainerStateTerminated `json:"last,omitempty"`
	Backoff      time.Duration                    `json:"backoff,omitempty"`
	BackoffUntil time.Time                        `json:"backoffUntil,omitempty"`
}

func (m *Manager) checkpointPath(uid types.UID) string {
	return filepath.Join(m.podDir(uid), "checkpoint.json")
}

// save writes the pod's checkpoint atomically.
func (m *Manager) save(namespace, name string, st *podState) error {
	cp := checkpoint{Namespace: namespace, Name: name, UID: st.uid, PodIP: st.podIP, Sandbox: st.sandbox,
		StartTime: st.startTime, Finished: st.finished, Containers: map[string]containerCheckpoint{},
		Initialized: st.initialized, Sidecars: st.sidecars}
	if st.finished {
		cp.Final = &st.final
	}
	for cname, cs := range st.containers {
		cp.Containers[cname] = containerCheckpoint{ID: cs.id, Bundle: cs.bundle, Starts: cs.starts, Restarts: cs.restarts,
			ImageID: cs.image.ID, Last: cs.last, Backoff: cs.backoff, BackoffUntil: cs.backoffUntil}
	}
	data, err := json.Marshal(&cp)
	if err != nil {
		return err
	}
	if bytes.Equal(data, st.saved) {
		return nil // the pod is looked at every second; most looks change nothing
	}
	if err := os.MkdirAll(m.podDir(st.uid), 0o750); err != nil {
		return err
	}
	path := m.checkpointPath(st.uid)
	if err := os.WriteFile(path+".tmp", data, 0o600); err != nil {
		return err
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return err
	}
	st.saved = data
	return nil
}

// restore loads every checkpoint left on the node.
func (m *Manager) restore() {
	dirs, err := os.ReadDir(filepath.Join(m.RootDir, "pods"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		klog.ErrorS(err, "reading the pods' checkpoints")
		return
	}
	for _, d := range dirs {
		data, err := os.ReadFile(m.checkpointPath(types.UID(d.Name())))
		if errors.Is(err, os.ErrNotExist) {
			// A pod directory without a checkpoint is a pod torn down
			// but for its directory: nothing in it is in use.
			_ = os.RemoveAll(filepath.Join(m.RootDir, "pods", d.Name()))
			continue
		}
		if err != nil {
			continue
		}
		var cp checkpoint
		if err := json.Unmarshal(data, &cp); err != nil {
			klog.ErrorS(err, "a pod checkpoint that cannot be read", "uid", d.Name())
			continue
		}
		st := &podState{uid: cp.UID, podIP: cp.PodIP, sandbox: cp.Sandbox, startTime: cp.StartTime, finished: cp.Finished,
			containers: map[string]*containerState{}, initialized: cp.Initialized, sidecars: cp.Sidecars}
		if cp.Final != nil {
			st.final = *cp.Final
		}
		if st.sandbox && st.podIP != m.NodeIP && m.Network.Lost(network.Pod{ID: "kyb-" + string(cp.UID)}) {
			// Its containers are gone with it; the sync makes a new one.
			klog.InfoS("the pod's network is gone (the node restarted): making it again", "pod", cp.Namespace+"/"+cp.Name)
			st.sandbox = false
		}
		for cname, c := range cp.Containers {
			cs := &containerState{id: c.ID, bundle: c.Bundle, starts: c.Starts, restarts: c.Restarts, last: c.Last,
				backoff: c.Backoff, backoffUntil: c.BackoffUntil}
			cs.image.ID = c.ImageID
			st.containers[cname] = cs
			if c.ImageID != "" {
				m.setImage(cp.Namespace, cp.Name, cname, c.ImageID)
			}
		}
		m.state[cp.Namespace+"/"+cp.Name] = st
		klog.InfoS("adopted a pod left by an earlier kubelet", "pod", cp.Namespace+"/"+cp.Name, "uid", cp.UID)
	}
}

// collectLeaks tears down what no checkpoint accounts for: pod networks
// (a namespace pin, its veth, address and masquerade rules) and runc
// containers left by a kubelet that stopped between creating them and
// recording them.
func (m *Manager) collectLeaks(ctx context.Context) {
	known := map[string]bool{}
	containers := map[string]bool{}
	m.mu.Lock()
	for _, st := range m.state {
		known["kyb-"+string(st.uid)] = true
		for _, cs := range st.containers {
			containers[cs.id] = true
		}
	}
	m.mu.Unlock()
	for _, id := range m.Runtime.List(ctx) {
		if strings.HasPrefix(id, "kyb-") && !containers[id] {
			klog.InfoS("removing a container no pod accounts for", "container", id)
			if err := m.Runtime.Remove(ctx, id, ""); err != nil {
				klog.ErrorS(err, "removing a leaked container", "container", id)
			}
		}
	}
	cidr := m.PodCIDR()
	if cidr == "" {
		return
	}
	for _, id := range m.Network.Sandboxes() {
		if known[id] {
			continue
		}
		klog.InfoS("tearing down a pod network no pod accounts for", "sandbox", id)
		if err := m.Network.Teardown(ctx, network.Pod{ID: id}, cidr); err != nil {
			klog.ErrorS(err, "tearing down a leaked pod network", "sandbox", id)
		}
	}
}
