package instance

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary be another process of the same user
// (INSTANCE_CHILD=dir): it acquires dir, says "first" or "handed-over",
// and as the first says "raised" for each request until its stdin closes.
func TestMain(m *testing.M) {
	if dir := os.Getenv("INSTANCE_CHILD"); dir != "" {
		in, err := Acquire(dir)
		switch {
		case errors.Is(err, ErrHandedOver):
			fmt.Println("handed-over")
			os.Exit(0)
		case err != nil:
			fmt.Println("error", err)
			os.Exit(2)
		}
		in.Serve(func() { fmt.Println("raised") })
		fmt.Println("first")
		io.Copy(io.Discard, os.Stdin)
		in.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A second Acquire of the same directory hands over to the first: the
// first's callback runs, the second gets ErrHandedOver. Once the first
// closes, the next Acquire is the instance again.
func TestSecondAcquireHandsOver(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home")
	first, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	raised := make(chan struct{}, 4)
	first.Serve(func() { raised <- struct{}{} })
	if _, err := Acquire(dir); !errors.Is(err, ErrHandedOver) {
		t.Fatalf("second Acquire: %v, want ErrHandedOver", err)
	}
	select {
	case <-raised:
	default:
		t.Fatal("the second Acquire returned before the first was raised")
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Close: %v", err)
	}
	again.Close()
}

// A request that arrives before Serve waits for it: the first instance is
// still opening its window when the second launch knocks.
func TestRequestWaitsForServe(t *testing.T) {
	dir := t.TempDir()
	first, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	done := make(chan error, 1)
	go func() { _, err := Acquire(dir); done <- err }()
	raised := make(chan struct{}, 1)
	first.Serve(func() { raised <- struct{}{} })
	if err := <-done; !errors.Is(err, ErrHandedOver) {
		t.Fatalf("second Acquire: %v", err)
	}
	<-raised
}

// A socket file left by an instance that died (no lock held) does not
// stop the next launch from being the instance.
func TestStaleSocketIsReplaced(t *testing.T) {
	dir := t.TempDir()
	_, sock := paths(dir)
	if err := os.WriteFile(sock, []byte("left over"), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire over a stale socket: %v", err)
	}
	in.Close()
}

// A holder that holds the lock but never answers is named, not waited on
// forever.
func TestNoAnswerNamesTheHolder(t *testing.T) {
	dir := t.TempDir()
	lockPath, _ := paths(dir)
	l, err := TryLock(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	old := handOverWait
	defer func() { handOverWait = old }()
	handOverWait = 300 * time.Millisecond
	_, err = Acquire(dir)
	var na *NoAnswerError
	if !errors.As(err, &na) || na.PID != os.Getpid() {
		t.Fatalf("Acquire with a silent holder: %v", err)
	}
}

// The lock names its holder and is free again after Release.
func TestTryLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tunnel.lock")
	l, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = TryLock(path)
	var he *HeldError
	if !errors.As(err, &he) || !errors.Is(err, ErrHeld) || he.PID != os.Getpid() {
		t.Fatalf("second TryLock: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if Holder(path) != 0 {
		t.Fatalf("holder after release: %d", Holder(path))
	}
	l2, err := TryLock(path)
	if err != nil {
		t.Fatalf("TryLock after Release: %v", err)
	}
	l2.Release()
}

// child is the test binary as another process acquiring dir.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

func startChild(t *testing.T, dir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "INSTANCE_CHILD="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return c
}

func (c *child) next(t *testing.T) string {
	t.Helper()
	select {
	case l := <-c.lines:
		return l
	case <-time.After(30 * time.Second):
		t.Fatal("no line from the child within 30 s")
	}
	return ""
}

// Real processes: the second launch hands over to the first (which is
// raised) and exits 0; once the first is killed with SIGKILL (no cleanup),
// the next launch is the instance.
func TestTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	a := startChild(t, dir)
	if l := a.next(t); l != "first" {
		t.Fatalf("first process said %q", l)
	}
	b := startChild(t, dir)
	if l := b.next(t); l != "handed-over" {
		t.Fatalf("second process said %q", l)
	}
	if err := b.cmd.Wait(); err != nil {
		t.Fatalf("second process: %v, want exit 0", err)
	}
	if l := a.next(t); l != "raised" {
		t.Fatalf("first process said %q after the second launch, want raised", l)
	}
	a.cmd.Process.Kill()
	a.cmd.Wait()
	c := startChild(t, dir)
	if l := c.next(t); !strings.HasPrefix(l, "first") {
		t.Fatalf("launch after the first was killed said %q", l)
	}
	c.stdin.Close()
}
