package instance

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// How long a second launch tries to hand over before giving up, and the
// deadline of each step of the exchange (every network call has one).
const (
	HandOverWait = 10 * time.Second
	stepTimeout  = 2 * time.Second
)

// handOverWait is HandOverWait; tests shorten it.
var handOverWait = HandOverWait

// The one-line exchange on the instance socket.
const (
	raiseRequest = "raise"
	raiseOK      = "ok"
)

// ErrHandedOver is Acquire's answer to a second launch: the running
// instance was asked to come forward and said it did. This process should
// exit (status 0).
var ErrHandedOver = errors.New("instance: handed over to the running instance")

// NoAnswerError is Acquire's answer when another instance holds the lock
// but did not answer within HandOverWait (hung, or stopping).
type NoAnswerError struct {
	PID int // the running instance's process id; 0: unknown
	Err error
}

func (e *NoAnswerError) Error() string {
	return fmt.Sprintf("instance: the running instance (process %d) did not answer: %v", e.PID, e.Err)
}

func (e *NoAnswerError) Unwrap() error { return e.Err }

// Instance is this process as the one instance of its directory: it holds
// the lock and listens on the socket until Close.
type Instance struct {
	lock *Lock
	ln   net.Listener
	sock string

	mu      sync.Mutex
	onRaise func()
	closed  bool
	wg      sync.WaitGroup
}

// Paths of the lock and the socket of the instance of dir. A socket path
// must fit in sun_path (108 bytes on Linux, 104 on macOS): a long dir puts
// it in the runtime directory, named by a hash of dir.
func paths(dir string) (lock, sock string) {
	lock = filepath.Join(dir, "instance.lock")
	sock = filepath.Join(dir, "instance.sock")
	if len(sock) < 100 {
		return lock, sock
	}
	h := sha256.Sum256([]byte(dir))
	base := os.Getenv("XDG_RUNTIME_DIR")
	if base == "" || !filepath.IsAbs(base) {
		base = os.TempDir()
	}
	return lock, filepath.Join(base, fmt.Sprintf("relais-%d-%s.sock", os.Getuid(), hex.EncodeToString(h[:8])))
}

// Acquire makes this process the one instance of dir (created 0700 if
// missing), or hands over to the instance already running: it asks it to
// come forward and, once it said it did, returns ErrHandedOver. A running
// instance that does not answer within HandOverWait gives a
// *NoAnswerError. Requests wait until Serve is called.
func Acquire(dir string) (*Instance, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("instance: %w", err)
	}
	lockPath, sock := paths(dir)
	deadline := time.Now().Add(handOverWait)
	var last error
	for {
		l, err := TryLock(lockPath)
		if err == nil {
			return listen(l, sock)
		}
		if !errors.Is(err, ErrHeld) {
			return nil, err
		}
		// Another instance holds the lock: ask it to come forward. It may
		// be between taking the lock and listening, or quitting: try again
		// until the deadline.
		if last = raise(sock); last == nil {
			return nil, ErrHandedOver
		}
		if time.Now().After(deadline) {
			return nil, &NoAnswerError{PID: Holder(lockPath), Err: last}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// listen opens the socket once the lock is held (a socket file left by an
// instance that died is removed first: only the lock's holder listens).
func listen(l *Lock, sock string) (*Instance, error) {
	_ = os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		l.Release()
		return nil, fmt.Errorf("instance: %w", err)
	}
	_ = os.Chmod(sock, 0o600)
	return &Instance{lock: l, ln: ln, sock: sock}, nil
}

// raise asks the instance listening on sock to come forward, with a
// deadline on every step.
func raise(sock string) error {
	c, err := net.DialTimeout("unix", sock, stepTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	// The running instance may still be opening its window: the answer
	// comes once it serves.
	_ = c.SetDeadline(time.Now().Add(handOverWait))
	if _, err := fmt.Fprintln(c, raiseRequest); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != raiseOK {
		return fmt.Errorf("instance: unexpected answer %q", strings.TrimSpace(line))
	}
	return nil
}

// Serve answers other launches from now on: each request calls onRaise
// (which must not block: the app hands it to its UI goroutine), then says
// ok. Serve returns at once; a second call replaces onRaise.
func (i *Instance) Serve(onRaise func()) {
	i.mu.Lock()
	first := i.onRaise == nil
	i.onRaise = onRaise
	closed := i.closed
	i.mu.Unlock()
	if !first || closed {
		return
	}
	i.wg.Add(1)
	go func() {
		defer i.wg.Done()
		for {
			c, err := i.ln.Accept()
			if err != nil {
				return
			}
			i.wg.Add(1)
			go func() {
				defer i.wg.Done()
				i.answer(c)
			}()
		}
	}()
}

func (i *Instance) answer(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(stepTimeout))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != raiseRequest {
		return
	}
	i.mu.Lock()
	f := i.onRaise
	i.mu.Unlock()
	f()
	fmt.Fprintln(c, raiseOK)
}

// Close stops answering, removes the socket and lets the lock go.
func (i *Instance) Close() error {
	if i == nil {
		return nil
	}
	i.mu.Lock()
	if i.closed {
		i.mu.Unlock()
		return nil
	}
	i.closed = true
	i.mu.Unlock()
	err := i.ln.Close()
	i.wg.Wait()
	_ = os.Remove(i.sock)
	if rerr := i.lock.Release(); err == nil {
		err = rerr
	}
	return err
}
