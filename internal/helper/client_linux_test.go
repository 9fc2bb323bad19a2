package helper

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"relais/internal/testenv"
	"relais/internal/tunnel"
)

// otherUID is the user the fake helpers belong to (nobody).
const otherUID = 65534

// fakeGreeter answers like a helper (the greeting) and keeps every byte a
// client sends; the channel yields them once the client has gone or the
// listener is closed without a connection.
func fakeGreeter(l net.Listener) <-chan []byte {
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		_ = json.NewEncoder(c).Encode(Response{Hello: &Hello{Version: ProtocolVersion, Interface: "fake0"}})
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(c)
		got <- b
	}()
	return got
}

// tryUp is what relais up does: dial, then send the device's key.
func tryUp(socket string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := Dial(ctx, socket)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Up(ctx, UpRequest{Profile: []byte("x"), Signature: []byte("y"), PrivateKey: tunnel.Key{0xAB, 0xCD}})
	return err
}

// A "helper" that root does not serve never receives the device's key:
// neither on a socket another user owns (a RELAIS_HELPER_SOCKET in a
// shared directory), nor on a root-owned socket whose listening process is
// another user's. The client refuses before sending a byte.
func TestClientRefusesHelperNotRoot(t *testing.T) {
	testenv.NeedRoot(t) // to give a socket to another user, and listen as one
	dir, err := os.MkdirTemp("", "helper-owner-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, socket string, l net.Listener) {
		t.Helper()
		got := fakeGreeter(l)
		err := tryUp(socket)
		l.Close()
		var he *Error
		if !errors.As(err, &he) || he.Code != CodeNotRoot {
			t.Errorf("Dial/Up = %v, want code %s", err, CodeNotRoot)
		}
		if errors.Is(err, ErrNoHelper) {
			t.Errorf("said as no helper: %v", err)
		}
		if b := <-got; len(b) != 0 {
			t.Errorf("the fake helper received %d bytes: %.80q", len(b), b)
		}
	}

	t.Run("socket owned by another user", func(t *testing.T) {
		socket := filepath.Join(dir, "owned.sock")
		l, err := net.Listen("unix", socket)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(socket, otherUID, otherUID); err != nil {
			t.Fatal(err)
		}
		check(t, socket, l)
	})

	t.Run("served by another user", func(t *testing.T) {
		socket := filepath.Join(dir, "served.sock")
		l := listenAs(t, otherUID, socket)
		// The file given to root: only the kernel's word on the listener
		// (SO_PEERCRED) tells.
		if err := os.Chown(socket, 0, 0); err != nil {
			t.Fatal(err)
		}
		check(t, socket, l)
	})

	t.Run("root's socket", func(t *testing.T) {
		socket := filepath.Join(dir, "root.sock")
		l, err := net.Listen("unix", socket)
		if err != nil {
			t.Fatal(err)
		}
		got := fakeGreeter(l)
		c, err := Dial(context.Background(), socket)
		if err != nil {
			t.Fatalf("root's helper refused: %v", err)
		}
		c.Close()
		<-got
	})
}

// listenAs listens on path with the effective user uid (the whole process
// for that moment: the kernel records the listener's credentials).
func listenAs(t *testing.T, uid int, path string) net.Listener {
	t.Helper()
	if err := syscall.Setresuid(-1, uid, -1); err != nil {
		t.Fatal(err)
	}
	l, lerr := net.Listen("unix", path)
	if err := syscall.Setresuid(-1, 0, -1); err != nil {
		panic("cannot become root again: " + err.Error())
	}
	if lerr != nil {
		t.Fatal(lerr)
	}
	return l
}

// The server tells callers apart by the kernel's word.
func TestPeerUIDIsTheCaller(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "p.sock")
	l, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		if c, err := net.Dial("unix", socket); err == nil {
			defer c.Close()
			_, _ = io.Copy(io.Discard, c)
		}
	}()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	uid, err := peerUID(c)
	if err != nil || uid != uint32(os.Geteuid()) {
		t.Fatalf("peerUID = %d, %v; euid %d", uid, err, os.Geteuid())
	}
}
