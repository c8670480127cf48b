package runtime

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ShimMain is `kybernetes container-shim`: it runs one container with
// `runc run` in the foreground, writes its output to the log in the CRI
// format ("<RFC3339Nano time> <stream> <F|P> <text>"), and when runc ends
// writes the exit record the kubelet reads.
func ShimMain(args []string) error {
	// A shim lives as long as its container and there is one a container:
	// what the binary's package initialisation left on the heap is given
	// back, and the collector keeps the heap small from then on.
	debug.SetGCPercent(20)
	debug.FreeOSMemory()
	fs := flag.NewFlagSet("container-shim", flag.ContinueOnError)
	runc := fs.String("runc", "runc", "runc binary")
	root := fs.String("runc-root", "", "runc state directory")
	bundle := fs.String("bundle", "", "OCI bundle")
	id := fs.String("id", "", "container ID")
	logPath := fs.String("log", "", "container log file")
	exitPath := fs.String("exit-file", "", "where the exit record goes")
	withStdin := fs.Bool("stdin", false, "the container has stdin (attach may write to it)")
	stdinOnce := fs.Bool("stdin-once", false, "close the container's stdin when the first attach session that wrote to it ends")
	tty := fs.Bool("tty", false, "run the container on a terminal")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logFile, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	defer logFile.Close()
	runcLog := filepath.Join(*bundle, "runc.log")
	cmd := exec.Command(*runc, "--root", *root, "--log", runcLog, "--log-format", "json", "run", "--bundle", *bundle, *id)
	attach := &attachServer{stdinOnce: *stdinOnce}
	outputs := map[string]io.Reader{}
	var terminal *os.File
	if *tty {
		// runc runs in the foreground on our terminal and relays it to
		// the container's console; its size is ours.
		master, slave, err := openPTY()
		if err != nil {
			return err
		}
		defer master.Close()
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		terminal, outputs["stdout"] = slave, master
		if *withStdin {
			attach.stdin = nopCloser{master}
		}
		attach.resize = func(width, height uint16) {
			_ = unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: height, Col: width})
		}
	} else {
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		stderr, err := cmd.StderrPipe()
		if err != nil {
			return err
		}
		outputs["stdout"], outputs["stderr"] = stdout, stderr
		if *withStdin {
			if attach.stdin, err = cmd.StdinPipe(); err != nil {
				return err
			}
		}
	}
	if err := attach.listen(*id); err != nil {
		return fmt.Errorf("serving attach: %w", err)
	}
	defer attach.close()
	started := time.Now()
	rec := exitRecord{StartedAt: started}
	if err := cmd.Start(); err != nil {
		rec.ExitCode, rec.Error, rec.FinishedAt = 128, err.Error(), time.Now()
		return writeExit(*exitPath, rec)
	}
	if terminal != nil {
		terminal.Close() // runc holds it now; the master reads EIO once runc is gone
	}
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	oom := watchOOM(specCgroupsPath(*bundle), stopWatch)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for stream, r := range outputs {
		kind := frameStdout
		if stream == "stderr" {
			kind = frameStderr
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Attached clients get the output as it is read; the log
			// gets it line by line.
			copyLog(io.TeeReader(r, attachOutput{attach, kind}), stream, logFile, &mu)
		}()
	}
	wg.Wait()
	err = cmd.Wait()
	rec.FinishedAt = time.Now()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		// runc exits with the container's status (128+signal when a
		// signal ended it); runc itself killed by a signal says so too.
		rec.ExitCode = exit.ExitCode()
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			rec.ExitCode = 128 + int(ws.Signal())
		}
	default:
		rec.ExitCode = 128
	}
	rec.OOMKilled = rec.ExitCode == 128+int(syscall.SIGKILL) && oom.OOMKilled()
	if msg := runcError(runcLog); msg != "" {
		// runc itself failed: the container never ran its process.
		rec.Error, rec.ExitCode = msg, 128
	}
	return writeExit(*exitPath, rec)
}

// attachOutput hands what a stream reads to the attached clients.
type attachOutput struct {
	server *attachServer
	kind   byte
}

func (o attachOutput) Write(p []byte) (int, error) {
	o.server.output(o.kind, p)
	return len(p), nil
}

// nopCloser is a terminal's input: stdinOnce stops taking input, but the
// terminal stays (closing it would hang it up).
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// copyLog writes each line of r to w in the CRI log format; a line cut by
// the end of the stream is written as partial (P).
func copyLog(r io.Reader, stream string, w io.Writer, mu *sync.Mutex) {
	br := bufio.NewReaderSize(r, 16*1024)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			tag := "F"
			if !strings.HasSuffix(line, "\n") {
				tag, line = "P", line+"\n"
			}
			mu.Lock()
			fmt.Fprintf(w, "%s %s %s %s", time.Now().UTC().Format(time.RFC3339Nano), stream, tag, line)
			mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// runcError is the last error runc logged, if any.
func runcError(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	msg := ""
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		var entry struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal(scanner.Bytes(), &entry) == nil && entry.Level == "error" {
			msg = entry.Msg
		}
	}
	return msg
}

// specCgroupsPath is the container's cgroups path from its bundle's spec.
func specCgroupsPath(bundle string) string {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return ""
	}
	var spec struct {
		Linux *struct {
			CgroupsPath string `json:"cgroupsPath"`
		} `json:"linux"`
	}
	if json.Unmarshal(data, &spec) != nil || spec.Linux == nil {
		return ""
	}
	return spec.Linux.CgroupsPath
}

// writeExit writes the record atomically: the kubelet never reads half.
func writeExit(path string, rec exitRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
