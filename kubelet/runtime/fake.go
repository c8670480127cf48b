package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// ErrNoProcesses is what the fake runtime answers to exec: its containers
// are records, with no process to run a command in.
var ErrNoProcesses = errors.New("the fake runtime runs no processes: exec is not possible on a hollow node")

// Fake is the runtime of hollow nodes (`--runtime=fake`): a container is a
// record that is running from the moment it starts until it is stopped —
// no process, no root filesystem, no cgroup — so that many nodes fit in
// one process for scale tests, as kubemark's hollow nodes do. It needs no
// privileges. Its log file is made (empty), so that `kubectl logs`
// answers as for a container that printed nothing. With a StateDir the
// records are kept there (one JSON file a container), so that a restarted
// kubelet finds its containers running, as runc's would be.
type Fake struct {
	StateDir string

	mu         sync.Mutex
	containers map[string]*State
}

// load reads the records of an earlier run, once; f.mu is held.
func (f *Fake) load() {
	if f.containers != nil {
		return
	}
	f.containers = map[string]*State{}
	if f.StateDir == "" {
		return
	}
	files, _ := filepath.Glob(filepath.Join(f.StateDir, "*.json"))
	for _, file := range files {
		var st State
		if data, err := os.ReadFile(file); err == nil && json.Unmarshal(data, &st) == nil {
			f.containers[strings.TrimSuffix(filepath.Base(file), ".json")] = &st
		}
	}
}

// save writes a record (removes it when st is nil); f.mu is held.
func (f *Fake) save(id string, st *State) error {
	if f.StateDir == "" {
		return nil
	}
	path := filepath.Join(f.StateDir, id+".json")
	if st == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(f.StateDir, 0o755); err != nil {
		return err
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

var _ Interface = (*Fake)(nil)

// Name is "fake".
func (f *Fake) Name() string { return "fake" }

// Check reports nothing wrong: the fake runtime is always ready.
func (f *Fake) Check() error { return nil }

// Start records the container as running.
func (f *Fake) Start(ctx context.Context, c Container) error {
	if c.Log != "" {
		if err := os.MkdirAll(filepath.Dir(c.Log), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(c.Log, nil, 0o644); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	st := &State{Running: true, StartedAt: time.Now()}
	if err := f.save(c.ID, st); err != nil {
		return err
	}
	f.containers[c.ID] = st
	return nil
}

// State returns the container's record.
func (f *Fake) State(ctx context.Context, id, bundle string) (State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	if st, ok := f.containers[id]; ok {
		return *st, nil
	}
	return State{}, nil
}

// Stop ends the container at once, as a process that honours SIGTERM.
func (f *Fake) Stop(ctx context.Context, id, bundle string, grace time.Duration) error {
	f.Exit(id, 0)
	return nil
}

// Exit ends a running container with the exit code, as if its process had
// ended: for tests of what the kubelet does when a container exits.
func (f *Fake) Exit(id string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	if st, ok := f.containers[id]; ok && st.Running {
		st.Running, st.Exited, st.ExitCode, st.FinishedAt = false, true, code, time.Now()
		_ = f.save(id, st) // unsaved, a restarted kubelet finds it running still
	}
}

// List returns the containers recorded.
func (f *Fake) List(ctx context.Context) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.load()
	ids := make([]string, 0, len(f.containers))
	for id := range f.containers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Remove forgets the container and removes its bundle directory.
func (f *Fake) Remove(ctx context.Context, id, bundle string) error {
	f.mu.Lock()
	f.load()
	delete(f.containers, id)
	err := f.save(id, nil)
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if bundle == "" {
		return nil
	}
	return os.RemoveAll(bundle)
}

// Exec is not possible: there is no process.
func (f *Fake) Exec(ctx context.Context, id string, cmd []string) ([]byte, int, error) {
	return nil, -1, ErrNoProcesses
}

// ExecStreams is not possible: there is no process.
func (f *Fake) ExecStreams(ctx context.Context, id string, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	return -1, ErrNoProcesses
}

// ExecTTY is not possible: there is no process.
func (f *Fake) ExecTTY(ctx context.Context, id string, cmd []string, stdin io.Reader, stdout io.Writer, resize <-chan TerminalSize) (int, error) {
	return -1, ErrNoProcesses
}

// Attach is not possible: there is no process.
func (f *Fake) Attach(ctx context.Context, id string, stdin io.Reader, stdout, stderr io.Writer, resize <-chan TerminalSize) error {
	return ErrNoProcesses
}
