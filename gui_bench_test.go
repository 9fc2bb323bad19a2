package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"relais/internal/testenv"
)

// BenchmarkGUI measures, in one run, the desktop app against a bare Fyne
// window program built the same way (testdata/barewindow): the time from
// exec to the first mapped window (median of 5 alternating starts, page
// cache warm for both), the resident memory 3 s after the window maps,
// and the CPU the app uses while idle with the tunnel up (Mode urgence on
// the demo office, RELAIS_BENCH_IDLE long, 60 s by default).
//
// The measurement is made once: the benchmark framework calls the function
// more than once, and each start of the app takes seconds.
func BenchmarkGUI(b *testing.B) {
	guiBench.once.Do(func() { guiBench.metrics = measureGUI(b) })
	for i := 0; i < b.N; i++ {
		for _, m := range guiBench.metrics {
			b.ReportMetric(m.value, m.unit)
		}
	}
}

type metric struct {
	value float64
	unit  string
}

var guiBench struct {
	once    sync.Once
	metrics []metric
}

func measureGUI(b *testing.B) []metric {
	testenv.NeedTools(b, "Xvfb", "xwininfo", "xdotool", "dbus-daemon", "go")
	dir := b.TempDir()
	relais, bare := filepath.Join(dir, "relais"), filepath.Join(dir, "barewindow")
	for _, bin := range [][2]string{{relais, "."}, {bare, "./testdata/barewindow"}} {
		if out, err := exec.Command("go", "build", "-trimpath", "-o", bin[0], bin[1]).CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", bin[1], err, out)
		}
	}
	display := startXvfb(b)
	bus := startBus(b)
	idle := 60 * time.Second
	if v := os.Getenv("RELAIS_BENCH_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		idle = d
	}
	var metrics []metric
	{
		var relaisMS, bareMS []float64
		var relaisRSS, bareRSS float64
		for run := 0; run < 5; run++ {
			home := b.TempDir()
			env := append(os.Environ(), "DISPLAY="+display, "DBUS_SESSION_BUS_ADDRESS="+bus, "RELAIS_HOME="+home,
				"RELAIS_CONFIG="+filepath.Join(home, "none.toml"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
				"FYNE_SCALE=1", "LANG=fr_FR.UTF-8")
			for _, p := range []struct {
				bin, title string
				ms         *[]float64
				rss        *float64
			}{{relais, "Relais", &relaisMS, &relaisRSS}, {bare, "BareWindow", &bareMS, &bareRSS}} {
				cmd := exec.Command(p.bin)
				cmd.Env = env
				var logs lockedBuffer
				cmd.Stdout, cmd.Stderr = &logs, &logs
				start := time.Now()
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				if !waitMapped(display, p.title, 60*time.Second) {
					b.Fatalf("no window %q within 60 s:\n%s", p.title, logs.String())
				}
				*p.ms = append(*p.ms, float64(time.Since(start).Microseconds())/1000)
				if run == 0 {
					time.Sleep(3 * time.Second)
					*p.rss = rssMB(cmd.Process.Pid)
				}
				if run == 0 && p.bin == relais {
					// The bare window idles beside it over the same time.
					side := exec.Command(bare)
					side.Env = env
					if err := side.Start(); err != nil {
						b.Fatal(err)
					}
					r, bw := idleCPU(b, cmd.Process.Pid, side.Process.Pid, display, env, relais, idle)
					side.Process.Signal(syscall.SIGTERM)
					side.Wait()
					metrics = append(metrics, metric{r, "relais-idle-cpu-%"}, metric{bw, "bare-idle-cpu-%"})
				}
				cmd.Process.Signal(syscall.SIGTERM)
				cmd.Wait()
			}
		}
		r, bw := median(relaisMS), median(bareMS)
		metrics = append(metrics, metric{r, "relais-start-ms"}, metric{bw, "bare-start-ms"}, metric{r / bw, "start-ratio"},
			metric{relaisRSS, "relais-rss-MB"}, metric{bareRSS, "bare-rss-MB"})
	}
	return metrics
}

// idleCPU turns Mode urgence on (Ctrl+U), waits for the tunnel to be up,
// lets the app settle, and returns the share of one core it used over d,
// and the share the bare window (barePID) used over the same time.
func idleCPU(b *testing.B, pid, barePID int, display string, env []string, relais string, d time.Duration) (float64, float64) {
	b.Helper()
	search := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Relais$")
	search.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := search.Output()
	if err != nil || len(strings.Fields(string(out))) == 0 {
		b.Fatalf("xdotool search: %v", err)
	}
	win := strings.Fields(string(out))[0]
	deadline := time.Now().Add(60 * time.Second)
	for {
		x := exec.Command("xdotool", "windowfocus", "--sync", win, "key", "ctrl+u")
		x.Env = append(os.Environ(), "DISPLAY="+display)
		x.Run()
		time.Sleep(time.Second)
		st := exec.Command(relais, "status", "--json")
		st.Env = env
		o, _ := st.Output()
		var doc struct {
			Tunnel *struct{ Up bool } `json:"tunnel"`
		}
		if json.Unmarshal(o, &doc) == nil && doc.Tunnel != nil && doc.Tunnel.Up {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("Mode urgence did not come up: %s", o)
		}
	}
	time.Sleep(5 * time.Second) // the first checks and refreshes are over
	t0, c0, b0 := time.Now(), cpuTicks(b, pid), cpuTicks(b, barePID)
	time.Sleep(d)
	t1, c1, b1 := time.Now(), cpuTicks(b, pid), cpuTicks(b, barePID)
	const clkTck = 100 // USER_HZ on Linux
	share := func(ticks int64) float64 { return 100 * (float64(ticks) / clkTck) / t1.Sub(t0).Seconds() }
	return share(c1 - c0), share(b1 - b0)
}

func cpuTicks(b *testing.B, pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64) // utime: field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // stime: field 15
	return ut + st
}

func rssMB(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// waitMapped polls until a window titled title is viewable.
func waitMapped(display, title string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		out, _ := exec.Command("xwininfo", "-display", display, "-name", title).Output()
		if bytes.Contains(out, []byte("IsViewable")) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// startBus starts a private session bus for the benchmark's processes.
func startBus(b *testing.B) string {
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	return strings.TrimSpace(line)
}
