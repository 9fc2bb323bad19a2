package enrol

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"relais/internal/enrolment"
	"relais/internal/server/db"
)

// BenchmarkEnrol3000 is a morning of enrolments: 3,000 laptops against
// one server over HTTP, 32 at a time, with one setup token, on SQLite and
// on PostgreSQL. It reports enrolments/s and, on a real wireguard-go
// interface (root), the seconds until the interface holds the 3,000
// peers; it fails on any address given twice.
func BenchmarkEnrol3000(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			var lab *wgLab
			if os.Geteuid() == 0 {
				lab = newWGLab(b)
			} else {
				b.Log("not root: no wireguard-go interface, so no s-to-3000-peers (a gateway in memory instead)")
			}
			for i := 0; i < b.N; i++ {
				enrol3000(b, be.opts(b), lab)
			}
		})
	}
}

func enrol3000(b *testing.B, opts db.Options, lab *wgLab) {
	const n, workers = 3000, 32
	c := tctx(b)
	d := openDB(b, opts)
	var gw Gateway = newFakeGateway("")
	if lab != nil {
		w, err := OpenWireGuard(c, lab.ifc)
		if err != nil {
			b.Fatal(err)
		}
		defer w.Close()
		on, _ := w.Peers(c)
		for k := range on {
			if err := w.RemovePeer(c, k); err != nil {
				b.Fatal(err)
			}
		}
		gw = w
	}
	s, err := New(c, Options{DB: d, Gateway: gw, Pools: pools("10.128.0.0/16", "fd00:128::/64")})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	tok := enrolment.NewSetupToken()
	if err := d.AddSetupToken(c, "matin", enrolment.Hash(tok), n, time.Now().Add(time.Hour), "bench"); err != nil {
		b.Fatal(err)
	}
	bodies := make([][]byte, n)
	for i := range bodies {
		k, err := wgtypes.GeneratePrivateKey()
		if err != nil {
			b.Fatal(err)
		}
		bodies[i], _ = json.Marshal(enrolment.Request{Token: tok, PublicKey: k.PublicKey().String(), DeviceName: fmt.Sprintf("PC-%04d", i)})
	}
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	var next atomic.Int64
	var mu sync.Mutex
	seen := make(map[string]int, 2*n)
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				resp, err := hc.Post(srv.URL+enrolment.Path, "application/json", bytes.NewReader(bodies[i]))
				if err != nil {
					failed.Store(err.Error())
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					failed.Store(fmt.Sprintf("%d: %d %s", i, resp.StatusCode, body))
					return
				}
				r, _, err := enrolment.ParseResponse(body)
				if err != nil {
					failed.Store(err.Error())
					return
				}
				mu.Lock()
				for _, a := range r.Addresses {
					if j, dup := seen[a]; dup {
						failed.Store(fmt.Sprintf("%s given to %d and %d", a, j, i))
					}
					seen[a] = i
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f != nil {
		b.Fatal(f)
	}
	if len(seen) != 2*n {
		b.Fatalf("%d addresses for %d enrolments", len(seen), n)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "enrolments/s")
	if lab != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for {
			on, err := gw.Peers(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if len(on) >= n {
				break
			}
			if ctx.Err() != nil {
				b.Fatalf("%d peers on the interface", len(on))
			}
			time.Sleep(10 * time.Millisecond)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-to-3000-peers")
		if got := len(lab.wgPeers(b)); got != n {
			b.Fatalf("wg shows %d peers", got)
		}
	}
	b.StopTimer()
}
