package checks

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync/atomic"

	"golang.org/x/net/dns/dnsmessage"
)

// fakeZone is what serveFakeDNS knows; gros.intra has so many records that its UDP
// answer is truncated.
var fakeZone = map[string][4]byte{"paie.intra.": {10, 99, 0, 10}, "gros.intra.": {10, 99, 0, 99}}

func fakeAnswer(req []byte, udp bool) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.ToLower(q.Name.String())
	addr, known := fakeZone[name]
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true}
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	if udp && name == "gros.intra." {
		rh.Truncated = true
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	if known && q.Type == dnsmessage.TypeA && !rh.Truncated {
		b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: addr})
	}
	out, _ := b.Finish()
	return out
}

func serveFakeDNS(pc net.PacketConn, ln net.Listener, tcpQueries *atomic.Int32) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				var l [2]byte
				if _, err := io.ReadFull(c, l[:]); err != nil {
					return
				}
				req := make([]byte, binary.BigEndian.Uint16(l[:]))
				if _, err := io.ReadFull(c, req); err != nil {
					return
				}
				tcpQueries.Add(1)
				resp := fakeAnswer(req, false)
				c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(resp))), resp...))
			}()
		}
	}()
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp := fakeAnswer(buf[:n], true); resp != nil {
			pc.WriteTo(resp, from)
		}
	}
}
