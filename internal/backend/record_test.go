package backend

import (
	"bufio"
	"io"
	"net"
	"testing"
)

// dnsOverTCP frames each message with its length, and a read returns one
// whole message.
func TestDNSOverTCPFraming(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &dnsOverTCP{Conn: a}
	go func() {
		br := bufio.NewReader(b)
		var l [2]byte
		io.ReadFull(br, l[:])
		msg := make([]byte, int(l[0])<<8|int(l[1]))
		io.ReadFull(br, msg)
		b.Write(append([]byte{0, byte(len(msg) + 1)}, append(msg, '!')...))
	}()
	if n, err := c.Write([]byte("question")); err != nil || n != 8 {
		t.Fatalf("write: %d %v", n, err)
	}
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "question!" {
		t.Fatalf("read: %q %v", buf[:n], err)
	}
}
