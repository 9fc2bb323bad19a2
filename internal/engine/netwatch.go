package engine

import (
	"context"
	"net"
	"strings"
	"time"
)

// pollInterfaces signals when the machine's network interfaces or their
// addresses change, by reading the interface list every poll (portable, no
// netlink subscription to keep; the engine debounces bursts).
func pollInterfaces(ctx context.Context, poll time.Duration) <-chan struct{} {
	if poll <= 0 {
		poll = DefaultNetworkPoll
	}
	ch := make(chan struct{}, 1)
	go func() {
		last := interfacesSignature()
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if sig := interfacesSignature(); sig != last {
				last = sig
				select {
				case ch <- struct{}{}:
				default:
				}
			}
		}
	}()
	return ch
}

// interfacesSignature is the up interfaces with their addresses, as text.
func interfacesSignature() string {
	ifs, err := net.Interfaces()
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 {
			continue
		}
		b.WriteString(i.Name)
		b.WriteByte('=')
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			b.WriteString(a.String())
			b.WriteByte(',')
		}
		b.WriteByte(';')
	}
	return b.String()
}
