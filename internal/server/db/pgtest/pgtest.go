// Package pgtest starts throwaway PostgreSQL clusters for tests, from
// Debian's postgresql package (/usr/lib/postgresql/*/bin, else PATH): a
// data directory in a temporary directory, a unix socket beside it and a
// random loopback TCP port, fsync off. PostgreSQL refuses to run as root:
// as root, initdb and postgres run as nobody (65534).
//
// One cluster per test package (Shared, stopped by Main), one fresh
// database per test (NewDatabase), so tests run in parallel; New starts a
// cluster of a test's own, which it may Stop and Start. Without the
// binaries a test is skipped, or fails when RELAIS_REQUIRE_E2E=1
// (internal/testenv). It is imported by tests only.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"relais/internal/testenv"
)

// nobody is the account PostgreSQL runs as when the tests run as root.
const nobody = 65534

const (
	startTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
	queryTimeout = 30 * time.Second
)

// Cluster is one running (or stopped) PostgreSQL cluster.
type Cluster struct {
	bin  string // the directory of initdb and postgres
	dir  string // owns data/, sock/, postgres.log
	port int

	mu  sync.Mutex
	cmd *exec.Cmd
	// exited is closed when the running postgres process ends.
	exited chan struct{}

	dbs atomic.Int64
}

// binDir finds initdb and postgres: the newest /usr/lib/postgresql/N/bin,
// else PATH.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if executable(filepath.Join(d, "initdb")) && executable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	initdb, err1 := exec.LookPath("initdb")
	postgres, err2 := exec.LookPath("postgres")
	if err1 == nil && err2 == nil && filepath.Dir(initdb) == filepath.Dir(postgres) {
		return filepath.Dir(initdb), nil
	}
	return "", errors.New("PostgreSQL's initdb and postgres are not installed (make deps installs the postgresql package)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func executable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

var (
	sharedOnce sync.Once
	shared     *Cluster
	sharedErr  error
	skipReason string
)

// Main runs a package's tests and stops the shared cluster, if one was
// started, after them: call it from TestMain as os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
		os.RemoveAll(shared.dir)
	}
	return code
}

// Shared returns the package's cluster, started on first use. Packages
// that use it call Main from TestMain.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	sharedOnce.Do(func() {
		bin, err := binDir()
		if err != nil {
			skipReason = err.Error()
			return
		}
		shared, sharedErr = start(bin)
	})
	testenv.Need(t, skipReason == "", skipReason)
	if sharedErr != nil {
		t.Fatalf("pgtest: %v", sharedErr)
	}
	return shared
}

// New starts a cluster of the test's own, removed when the test ends.
func New(t testing.TB) *Cluster {
	t.Helper()
	bin, err := binDir()
	testenv.Need(t, err == nil, fmt.Sprint(err))
	c, err := start(bin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
		os.RemoveAll(c.dir)
	})
	return c
}

// start makes a cluster in a new temporary directory and starts it. The
// directory is made with MkdirTemp rather than t.TempDir so that nobody
// can reach it (t.TempDir's parents are private to root).
func start(bin string) (*Cluster, error) {
	dir, err := os.MkdirTemp(tempBase(), "relais-pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, dir: dir}
	if err := c.init(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// A port found free may be taken before postgres binds it: try again.
	for attempt := 0; ; attempt++ {
		c.port, err = freePort()
		if err == nil {
			err = c.Start()
		}
		if err == nil || attempt == 4 {
			break
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// tempBase is where clusters are made: the temporary directory, unless
// nobody (as whom postgres runs under root) could not reach into it.
func tempBase() string {
	base := os.TempDir()
	if os.Geteuid() != 0 {
		return base
	}
	for d := base; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return base
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// asNobody runs cmd as nobody when this process is root.
func asNobody(cmd *exec.Cmd) {
	if os.Geteuid() != 0 {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
}

// chown gives path to nobody when this process is root.
func chown(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	return os.Chown(path, nobody, nobody)
}

func (c *Cluster) init() error {
	if err := os.Chmod(c.dir, 0o755); err != nil {
		return err
	}
	for _, sub := range []string{"data", "sock"} {
		p := filepath.Join(c.dir, sub)
		if err := os.Mkdir(p, 0o700); err != nil {
			return err
		}
		if err := chown(p); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, "initdb"), "-D", filepath.Join(c.dir, "data"),
		"-U", "postgres", "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C")
	cmd.Dir = c.dir
	cmd.Env = []string{"LC_ALL=C", "PATH=/usr/bin:/bin", "TZ=UTC"}
	asNobody(cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return nil
}

// Start starts the cluster's postgres (again, after Stop) on the same port
// and waits until it accepts connections.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		return errors.New("pgtest: already running")
	}
	logPath := filepath.Join(c.dir, "postgres.log")
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(c.bin, "postgres"), "-D", filepath.Join(c.dir, "data"),
		"-k", filepath.Join(c.dir, "sock"), "-h", "127.0.0.1", "-p", strconv.Itoa(c.port),
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=32MB")
	cmd.Dir = c.dir
	cmd.Env = []string{"LC_ALL=C", "PATH=/usr/bin:/bin", "TZ=UTC"}
	cmd.Stdout, cmd.Stderr = logf, logf
	asNobody(cmd)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// Never outlive the test binary, even one killed by a timeout: the
	// kernel kills postgres when the thread that started it ends, so that
	// thread is locked to a goroutine that waits for postgres.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	exited := make(chan struct{})
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with postgres
		err := cmd.Start()
		started <- err
		if err == nil {
			cmd.Wait()
		}
		close(exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("pgtest: postgres: %w", err)
	}
	c.cmd, c.exited = cmd, exited

	deadline := time.Now().Add(startTimeout)
	db, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			c.cmd = nil
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("pgtest: postgres exited: %s", tail(log))
		default:
		}
		if time.Now().After(deadline) {
			c.killLocked()
			return fmt.Errorf("pgtest: postgres not ready within %s: %v", startTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// Stop stops postgres (fast shutdown: open connections are cut) and waits
// for it to exit.
func (c *Cluster) Stop() error { return c.stop() }

func (c *Cluster) stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
		c.cmd = nil
		return nil
	case <-time.After(stopTimeout):
		c.killLocked()
		return fmt.Errorf("pgtest: postgres did not stop within %s; killed", stopTimeout)
	}
}

func (c *Cluster) killLocked() {
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Kill()
	<-c.exited
	c.cmd = nil
}

// URL is the URL of database name on this cluster, over loopback TCP.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=10", c.port, name)
}

// Port is the cluster's TCP port.
func (c *Cluster) Port() int { return c.port }

// NewDatabase creates an empty database for the test and returns its URL.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.dbs.Add(1))
	db, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return c.URL(name)
}
