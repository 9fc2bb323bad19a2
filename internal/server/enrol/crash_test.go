package enrol

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"relais/internal/enrolment"
	"relais/internal/server/db"
)

// The crash test's child: this test binary again, told by the environment
// which database, which interface and where to stop.
const crashChildEnv = "RELAIS_ENROL_CRASH_CHILD"

type crashJob struct {
	DataDir   string
	DBURL     string
	Interface string // a real interface; "" uses the file gateway
	GWFile    string
	Stop      string // "row", "peer" or "revoke"
	Token     string
	Key       string
	Device    string
	Pools     []string
}

// crashChild enrols (or revokes) and blocks forever at the stop asked,
// after printing "stopped": the parent then kills it with SIGKILL.
func crashChild() {
	var job crashJob
	if err := json.Unmarshal([]byte(os.Getenv(crashChildEnv)), &job); err != nil {
		fmt.Println("bad job:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	d, err := db.Open(ctx, db.Options{DataDir: job.DataDir, DatabaseURL: job.DBURL})
	if err != nil {
		fmt.Println("db:", err)
		os.Exit(2)
	}
	var gw Gateway
	if job.Interface != "" {
		if gw, err = OpenWireGuard(ctx, job.Interface); err != nil {
			fmt.Println("gateway:", err)
			os.Exit(2)
		}
	} else {
		gw = newFakeGateway(job.GWFile)
	}
	block := func() {
		fmt.Println("stopped")
		select {}
	}
	switch job.Stop {
	case "row":
		hookAfterRow = block
	case "peer":
		hookAfterPeer = block
	case "revoke":
		hookAfterRevoke = block
	}
	s, err := New(ctx, Options{DB: d, Gateway: gw, Pools: pools(job.Pools...)})
	if err != nil {
		fmt.Println("service:", err)
		os.Exit(2)
	}
	if job.Stop == "revoke" {
		_, err = s.Revoke(ctx, job.Key, "crash")
	} else {
		_, err = s.Enrol(ctx, enrolment.Request{Token: job.Token, PublicKey: job.Key, DeviceName: job.Device}, "crash")
	}
	fmt.Println("finished without stopping:", err)
	os.Exit(3)
}

// A server SIGKILLed between the row and the peer, between the peer and
// "active", and between a revoked row and the peer's removal: a new
// service's reconciliation leaves every live row with its peer (and
// active) and no peer without a live row. With a real wireguard-go
// interface when root, else a gateway kept in a file.
func TestCrashThenReconcile(t *testing.T) {
	t.Parallel()
	for _, real := range []bool{true, false} {
		name := "file-gateway"
		if real {
			name = "wireguard-go"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			job := crashJob{DataDir: t.TempDir(), Pools: []string{"10.66.0.0/24", "fd00:66::/64"}}
			var gw Gateway
			var lab *wgLab
			if real {
				lab = newWGLab(t)
				job.Interface = lab.ifc
				w, err := OpenWireGuard(tctx(t), lab.ifc)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { w.Close() })
				gw = w
			} else {
				job.GWFile = t.TempDir() + "/gateway.json"
				f := newFakeGateway(job.GWFile)
				if err := f.save(); err != nil {
					t.Fatal(err)
				}
				gw = f
			}
			d := openDB(t, db.Options{DataDir: job.DataDir})
			c := tctx(t)
			tok := enrolment.NewSetupToken()
			if err := d.AddSetupToken(c, "t", enrolment.Hash(tok), 10, time.Now().Add(time.Hour), "alice"); err != nil {
				t.Fatal(err)
			}
			job.Token = tok
			agree := func(when string) {
				t.Helper()
				s := newService(t, Options{DB: d, Gateway: gw, Pools: pools(job.Pools...)})
				if _, err := s.Reconcile(c); err != nil {
					t.Fatalf("%s: reconcile: %v", when, err)
				}
				on, err := gw.Peers(c)
				if err != nil {
					t.Fatal(err)
				}
				rows, _ := d.Peers(c, false)
				if len(on) != len(rows) {
					t.Fatalf("%s: %d peers on the interface, %d live rows", when, len(on), len(rows))
				}
				for _, p := range rows {
					if p.State != db.PeerActive || !enrolment.SameAddresses(on[p.PublicKey], p.Addresses) {
						t.Fatalf("%s: row %+v, interface %v", when, p, on[p.PublicKey])
					}
				}
			}
			// Killed after the row: the peer is not on the interface yet.
			k1 := wgKey(t)
			runAndKill(t, job, "row", k1, "PC-1")
			if rows, _ := d.Peers(c, false); len(rows) != 1 || rows[0].State != db.PeerPending {
				t.Fatalf("after the kill: %+v", rows)
			}
			if on, _ := gw.Peers(c); len(on) != 0 {
				t.Fatalf("after the kill: %v", on)
			}
			agree("killed after the row")
			// Killed after the peer, before "active".
			k2 := wgKey(t)
			runAndKill(t, job, "peer", k2, "PC-2")
			if on, _ := gw.Peers(c); len(on) != 2 {
				t.Fatalf("after the kill: %v", on)
			}
			agree("killed after the peer")
			// Killed between the revoked row and the removal.
			runAndKill(t, job, "revoke", k1, "")
			if on, _ := gw.Peers(c); len(on) != 2 {
				t.Fatalf("after the kill: %v", on)
			}
			agree("killed after revoking the row")
			if real {
				if got := lab.wgPeers(t); len(got) != 1 || got[k2] != "10.66.0.2/32 fd00:66::2/128" {
					t.Fatalf("wg says %v", got)
				}
			}
		})
	}
}

// runAndKill starts the child, waits until it stops where asked, and
// SIGKILLs it.
func runAndKill(t *testing.T, job crashJob, stop, key, device string) {
	t.Helper()
	job.Stop, job.Key, job.Device = stop, key, device
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+string(b))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		var all []string
		for sc.Scan() {
			all = append(all, sc.Text())
			if sc.Text() == "stopped" {
				lines <- "stopped"
				return
			}
		}
		lines <- strings.Join(all, "\n")
	}()
	select {
	case l := <-lines:
		if l != "stopped" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child at %s: %s", stop, l)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not stop at %s", stop)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child not killed: %v", err)
	}
}
