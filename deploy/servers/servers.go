//go:build linux

// Package servers runs the stack's servers as local processes of their
// own, on private ports and data folders, for the tests and benchmarks that
// stop, kill and restart them (make test-faults, make bench-propagation):
// MariaDB and MLflow through deploy/local's scripts, cerberus and
// ml_studio built from this tree. Nothing here touches the shared servers
// on the standard ports.
package servers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Root is the repository: the nearest folder holding go.work, from the
// working directory up.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work above the working directory: run from the repository")
		}
		dir = parent
	}
}

// Binaries are the services built from the tree.
type Binaries struct{ Cerberus, Studio string }

// Build builds cerberus and ml_studio into dir.
func Build(ctx context.Context, root, dir string) (Binaries, error) {
	b := Binaries{Cerberus: filepath.Join(dir, "cerberus"), Studio: filepath.Join(dir, "ml_studio")}
	for out, pkg := range map[string]string{b.Cerberus: "./services/cerberus/cmd/cerberus", b.Studio: "./services/ml_studio/cmd/ml_studio"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
		cmd.Dir = root
		if data, err := cmd.CombinedOutput(); err != nil {
			return b, fmt.Errorf("go build %s: %w\n%s", pkg, err, data)
		}
	}
	return b, nil
}

// FreePort is a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// script is one of deploy/local's servers with a data folder of its own
// (ML_STUDIO_DATA: its data, pid file, lock and log) and its own port.
type script struct {
	root, data, name string
	env              []string
}

func (s script) run(ctx context.Context, verb string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(s.root, "deploy", "local", s.name+".sh"), verb)
	cmd.Env = append(os.Environ(), append([]string{"ML_STUDIO_DATA=" + s.data}, s.env...)...)
	if data, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s.sh %s: %w\n%s", s.name, verb, err, data)
	}
	return nil
}

// pid is the server's process id, from the script's pid file.
func (s script) pid(file string) (int, error) {
	data, err := os.ReadFile(filepath.Join(s.data, "run", file))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}

// MariaDB is a private MariaDB server (deploy/local/mariadb.sh) with the
// database auth and the user blendata.
type MariaDB struct {
	Port int
	s    script
}

// NewMariaDB describes a MariaDB on port keeping its files under data.
func NewMariaDB(root, data string, port int) *MariaDB {
	return &MariaDB{Port: port, s: script{root: root, data: data, name: "mariadb", env: []string{"MARIADB_PORT=" + strconv.Itoa(port)}}}
}

// Start starts it (initialising the data folder the first time) and waits
// until blendata can sign in.
func (m *MariaDB) Start(ctx context.Context) error { return m.s.run(ctx, "start") }

// Stop stops it cleanly (SIGTERM: InnoDB flushes).
func (m *MariaDB) Stop(ctx context.Context) error { return m.s.run(ctx, "stop") }

// Kill kills it without warning, as a crash or a power cut would, and waits
// until it is gone; Start recovers it.
func (m *MariaDB) Kill() error {
	pid, err := m.s.pid("mariadb.pid")
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return err
	}
	for range 100 {
		if syscall.Kill(pid, 0) != nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("mariadbd %d still alive after SIGKILL", pid)
}

// DSN is cerberus's CERBERUS_DATABASE_DSN for the auth database.
func (m *MariaDB) DSN() string {
	return fmt.Sprintf("mysql://blendata:blendata@127.0.0.1:%d/auth", m.Port)
}

// MLflow is a private MLflow server (deploy/local/mlflow.sh, the pinned
// MLflow on SQLite, serving its artifacts).
type MLflow struct {
	Port int
	s    script
}

// NewMLflow describes an MLflow on port keeping its files under data, with
// one worker: the machines this runs on have two cores.
func NewMLflow(root, data string, port int) *MLflow {
	return &MLflow{Port: port, s: script{root: root, data: data, name: "mlflow",
		env: []string{"MLFLOW_PORT=" + strconv.Itoa(port), "MLFLOW_BACKEND=sqlite", "MLFLOW_WORKERS=1"}}}
}

// Start starts it and waits until its store answers.
func (m *MLflow) Start(ctx context.Context) error { return m.s.run(ctx, "start") }

// Stop stops it (SIGTERM to its process group).
func (m *MLflow) Stop(ctx context.Context) error { return m.s.run(ctx, "stop") }

// URL is its base URL.
func (m *MLflow) URL() string { return "http://127.0.0.1:" + strconv.Itoa(m.Port) }

// Proc is a service binary run in a process group of its own, its output
// appended to a log file; the kernel kills it if this program dies.
type Proc struct {
	Name    string
	bin     string
	env     []string
	logPath string

	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// NewProc describes bin run with env (added to this process's own) and
// logging to logPath.
func NewProc(name, bin, logPath string, env ...string) *Proc {
	return &Proc{Name: name, bin: bin, env: env, logPath: logPath}
}

// Start starts the process (again, after it ended).
func (p *Proc) Start() error {
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer func() { _ = logFile.Close() }() // the child has its own descriptor
	cmd := exec.Command(p.bin)
	cmd.Env = append(ownEnv(), p.env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	p.cmd, p.done, p.err = cmd, make(chan struct{}), nil
	go func(done chan struct{}) {
		p.err = cmd.Wait()
		close(done)
	}(p.done)
	return nil
}

// Pid is the running process's id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the process.
func (p *Proc) Signal(sig syscall.Signal) error { return p.cmd.Process.Signal(sig) }

// Wait waits up to timeout for the process to end and returns its exit
// code (-1 when a signal ended it).
func (p *Proc) Wait(timeout time.Duration) (int, error) {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), nil
	case <-time.After(timeout):
		return 0, fmt.Errorf("%s still running after %s", p.Name, timeout)
	}
}

// Running reports whether the process has been started and not ended.
func (p *Proc) Running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM and waits up to grace, then kills the group; it
// returns the exit code.
func (p *Proc) Stop(grace time.Duration) (int, error) {
	if !p.Running() {
		return 0, nil
	}
	_ = p.Signal(syscall.SIGTERM)
	code, err := p.Wait(grace)
	if err != nil {
		_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
		_, _ = p.Wait(5 * time.Second)
	}
	return code, err
}

// Exited returns an error with the end of the log once the process ended.
func (p *Proc) Exited() error {
	if p.cmd == nil || p.Running() {
		return nil
	}
	return fmt.Errorf("%s exited (%v); the end of %s:\n%s", p.Name, p.err, p.logPath, Tail(p.logPath, 30))
}

// Tail is the last n lines of a file.
func Tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// WaitOK polls url until it answers 200, p (when not nil) ends, or
// timeout passes.
func WaitOK(ctx context.Context, url string, timeout time.Duration, p *Proc) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p != nil {
			if err := p.Exited(); err != nil {
				return err
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: %d", url, resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready within %s: %v", url, timeout, last)
}

// ownEnv is this process's environment without the services' settings
// (CERBERUS_*, ML_STUDIO_*): a developer's own must not leak in.
func ownEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CERBERUS_") && !strings.HasPrefix(kv, "ML_STUDIO_") {
			out = append(out, kv)
		}
	}
	return out
}
