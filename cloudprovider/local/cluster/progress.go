package cluster

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress prints one line per step with the time it took; on a terminal
// the running step has a spinner and its time counts up.
type progress struct {
	out io.Writer
	tty bool
}

func newProgress(out io.Writer) *progress {
	f, ok := out.(*os.File)
	return &progress{out: out, tty: ok && term.IsTerminal(int(f.Fd()))}
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// step starts a step; the returned function ends it, with its error, and
// returns that error. status, when set, is read at each spinner frame to
// say how far the step is.
func (p *progress) step(what string, status func() string) func(error) error {
	start := time.Now()
	var (
		mu   sync.Mutex
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	if p.tty {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				line := what
				if status != nil {
					line += " " + status()
				}
				mu.Lock()
				fmt.Fprintf(p.out, "\r\033[K%s %s (%.1fs)", spinner[i%len(spinner)], line, time.Since(start).Seconds())
				mu.Unlock()
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		}()
	}
	return func(err error) error {
		close(done)
		wg.Wait()
		mark, clear := "✓", ""
		if err != nil {
			mark = "✗"
		}
		if p.tty {
			clear = "\r\033[K"
		}
		line := what
		if status != nil {
			line += " " + status()
		}
		fmt.Fprintf(p.out, "%s%s %s (%.1fs)\n", clear, mark, line, time.Since(start).Seconds())
		return err
	}
}

// say prints a line outside of any step.
func (p *progress) say(format string, args ...any) {
	fmt.Fprintf(p.out, format+"\n", args...)
}
