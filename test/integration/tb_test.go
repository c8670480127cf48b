package integration

import (
	"fmt"
	"os"
	"testing"
)

// mainTB lets TestMain start the shared server with framework.Start, which
// takes a testing.TB: failures end the process, cleanups run at exit.
type mainTB struct {
	testing.TB
	cleanups []func()
	tempDirs []string
}

func (m *mainTB) Helper() {}

func (m *mainTB) Fatal(args ...any) {
	fmt.Fprintln(os.Stderr, args...)
	m.cleanup()
	os.Exit(1)
}

func (m *mainTB) Fatalf(format string, args ...any) { m.Fatal(fmt.Sprintf(format, args...)) }

// Errorf ends the process too: the shared server failing (its controller
// manager stopping) makes every test after it meaningless.
func (m *mainTB) Errorf(format string, args ...any) { m.Fatal(fmt.Sprintf(format, args...)) }

func (m *mainTB) Cleanup(f func()) { m.cleanups = append(m.cleanups, f) }

func (m *mainTB) TempDir() string {
	dir, err := os.MkdirTemp("", "kybernetes-it-")
	if err != nil {
		m.Fatal(err)
	}
	m.tempDirs = append(m.tempDirs, dir)
	return dir
}

func (m *mainTB) cleanup() {
	for i := len(m.cleanups) - 1; i >= 0; i-- {
		m.cleanups[i]()
	}
	m.cleanups = nil
	for _, d := range m.tempDirs {
		os.RemoveAll(d)
	}
}
