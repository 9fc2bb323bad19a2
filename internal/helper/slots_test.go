package helper

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// A connection the helper closes has given back its slot before the
// caller can see it closed: a caller that reconnects at once (after an
// idle timeout, a refused request) is served, not refused as busy.
func TestClosedConnectionFreesItsSlotFirst(t *testing.T) {
	f := startServerWith(t, nil, func(s *Server) { s.MaxConns, s.IdleTimeout = 1, 10*time.Millisecond })
	for i := range 200 {
		// The previous caller closed its end itself: the helper frees
		// that slot when it notices, so wait for the hello.
		var c net.Conn
		var r *bufio.Reader
		waitFor(t, "a free slot", func() bool {
			var err error
			if c, err = net.Dial("unix", f.socket); err != nil {
				t.Fatal(err)
			}
			r = bufio.NewReader(c)
			line, err := r.ReadString('\n')
			if err == nil && strings.Contains(line, `"hello"`) {
				return true
			}
			c.Close()
			return false
		})
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := r.ReadString('\n'); err == nil { // closed for idleness
			t.Fatal("the idle connection was not closed")
		}
		c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		cl, err := Dial(ctx, f.socket)
		cancel()
		if err != nil {
			t.Fatalf("reconnection %d right after the helper closed the connection: %v", i, err)
		}
		cl.Close()
	}
}
