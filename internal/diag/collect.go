package diag

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"sync"
	"time"

	"relais/internal/diag/bundle"
)

// errUnsupported is a fact this system does not offer (no /proc on macOS,
// no resolvectl without systemd-resolved): noted in its file, not a
// failure.
var errUnsupported = errors.New(bundle.Unsupported)

// collector gathers one part of system.json or network.json. run must
// honour ctx's deadline; one that does not is abandoned at the deadline
// (its goroutine finishes on its own and its result is dropped).
type collector struct {
	file string // "system" or "network"
	key  string // the part of the file: os, routes…
	run  func(ctx context.Context) (any, error)
}

func (c collector) name() string { return c.file + "." + c.key }

// collected is what one collector gave: its value (possibly partial, with
// an error) or only an error.
type collected struct {
	collector
	value any
	err   error
}

// failed reports whether the collector failed (a missing fact this system
// does not offer is not a failure).
func (c collected) failed() bool { return c.err != nil && !errors.Is(c.err, errUnsupported) }

// runCollectors runs every collector at once, each under its own deadline,
// and returns their results in the collectors' order.
func runCollectors(ctx context.Context, cs []collector, timeout time.Duration) []collected {
	out := make([]collected, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = runCollector(ctx, c, timeout)
		}()
	}
	wg.Wait()
	return out
}

type collectorResult struct {
	value any
	err   error
}

func runCollector(ctx context.Context, c collector, timeout time.Duration) collected {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan collectorResult, 1) // buffered: an abandoned collector never blocks
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- collectorResult{err: fmt.Errorf("collector crashed: %v", p)}
			}
		}()
		v, err := c.run(cctx)
		done <- collectorResult{v, err}
	}()
	var r collectorResult
	select {
	case r = <-done:
	case <-cctx.Done():
		// A collector that honours its context returns what it gathered
		// at once: wait for it a moment, and no more.
		grace := time.NewTimer(collectorGrace)
		defer grace.Stop()
		select {
		case r = <-done:
		case <-grace.C:
			r.err = cctx.Err()
		}
	}
	if errors.Is(r.err, context.DeadlineExceeded) {
		r.err = fmt.Errorf("did not finish within %s", timeout)
	}
	if ctx.Err() != nil && r.err != nil {
		r.err = fmt.Errorf("cancelled: %w", ctx.Err())
	}
	return collected{collector: c, value: r.value, err: r.err}
}

// collectorGrace is how long a collector past its deadline has to return
// what it gathered.
const collectorGrace = 100 * time.Millisecond

// factPart is one part of system.json or network.json: its value, and the
// error of its collector when it failed (the value is then what was
// gathered before, if anything).
type factPart struct {
	Value any    `json:"value,omitempty"`
	Error string `json:"error,omitempty"`
}

// factsFile is system.json or network.json: an object whose members are
// in the collectors' order.
type factsFile []namedFact

type namedFact struct {
	key  string
	fact factPart
}

func (f factsFile) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, nf := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(nf.key)
		v, err := marshalPlain(nf.fact)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", nf.key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// factsOf gathers the results for one file, in order.
func factsOf(results []collected, file string) factsFile {
	var f factsFile
	for _, r := range results {
		if r.file != file {
			continue
		}
		nf := namedFact{key: r.key, fact: factPart{Value: r.value}}
		if r.err != nil {
			nf.fact.Error = r.err.Error()
		}
		f = append(f, nf)
	}
	return f
}

// sources are where the collectors read the machine; tests replace them.
type sources struct {
	readFile    func(name string) ([]byte, error)
	getenv      func(key string) string
	hostname    func() (string, error)
	currentUser func() (*user.User, error)
	kernel      func() (string, error)
	interfaces  func() ([]net.Interface, error)
	addrs       func(net.Interface) ([]net.Addr, error)
	lookPath    func(file string) (string, error)
	command     func(ctx context.Context, name string, args ...string) ([]byte, error)
	dial        func(ctx context.Context, network, address string) (net.Conn, error)
}

// machine reads this machine.
func machine() *sources {
	var d net.Dialer
	return &sources{
		readFile:    os.ReadFile,
		getenv:      os.Getenv,
		hostname:    os.Hostname,
		currentUser: user.Current,
		kernel:      kernelRelease,
		interfaces:  net.Interfaces,
		addrs:       func(i net.Interface) ([]net.Addr, error) { return i.Addrs() },
		lookPath:    exec.LookPath,
		command:     runCommand,
		dial:        d.DialContext,
	}
}

// maxCommandOutput bounds what a command may add to the bundle.
const maxCommandOutput = 256 << 10

// runCommand runs a program under ctx's deadline in the C locale (its
// output is for the helpdesk, and stable) and returns its output, cut at
// maxCommandOutput.
func runCommand(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	out := &limitedBuffer{max: maxCommandOutput}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 500 * time.Millisecond // a child that keeps the pipe open does not hold us
	err := cmd.Run()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return out.Bytes(), err
}

// limitedBuffer keeps the first max bytes written and drops the rest.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.Len(); room > 0 {
		if len(p) > room {
			l.Buffer.Write(p[:room])
		} else {
			l.Buffer.Write(p)
		}
	}
	return len(p), nil
}

// defaultCollectors are every collector, reading src.
func defaultCollectors(src *sources) []collector {
	return []collector{
		{"system", "os", src.osRelease},
		{"system", "kernel", func(context.Context) (any, error) { return src.kernel() }},
		{"system", "runtime", func(context.Context) (any, error) { return runtimeFacts(), nil }},
		{"system", "hostname", func(context.Context) (any, error) { return src.hostname() }},
		{"system", "user", src.user},
		{"system", "locale", src.locale},
		{"system", "uptime", src.uptime},
		{"network", "interfaces", src.interfaceFacts},
		{"network", "routes", src.routes4},
		{"network", "routes6", src.routes6},
		{"network", "dns", src.resolvConf},
		{"network", "resolvectl", src.resolvectl},
		{"network", "proxy", src.proxy},
		{"network", "gateway", src.gateways},
	}
}
