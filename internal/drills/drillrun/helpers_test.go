package drillrun

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"relais/internal/drills"
	"relais/internal/profile"
	"relais/internal/status"
	"relais/internal/store"
)

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeEngine is an Engine whose checks answer as the test says. A
// check's state is ok unless set in states; every call is counted.
type fakeEngine struct {
	p     *profile.Profile
	clock *clock

	mu          sync.Mutex // guards the fields below
	states      map[string]status.State
	tunnelErr   error
	checksErr   error
	linkErr     error
	block       chan struct{} // when set, engine calls wait for it (or their ctx)
	tunnelUps   int
	checkRuns   int
	links       []string
	deadlines   []time.Duration // the time left on each call's ctx
	snapshot    status.Snapshot
	onRunChecks func() // runs inside RunChecks, before it answers
}

func newFakeEngine(p *profile.Profile, c *clock) *fakeEngine {
	return &fakeEngine{p: p, clock: c, states: map[string]status.State{}}
}

func (f *fakeEngine) set(check string, s status.State) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.states[check] = s
}

func (f *fakeEngine) wait(ctx context.Context) error {
	f.mu.Lock()
	if d, ok := ctx.Deadline(); ok {
		f.deadlines = append(f.deadlines, time.Until(d))
	} else {
		f.deadlines = append(f.deadlines, -1)
	}
	block := f.block
	f.mu.Unlock()
	if block == nil {
		return nil
	}
	select {
	case <-block:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeEngine) TunnelUp(ctx context.Context) error {
	if err := f.wait(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tunnelUps++
	return f.tunnelErr
}

func (f *fakeEngine) RunChecks(ctx context.Context) (*status.Report, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checkRuns++
	if f.onRunChecks != nil {
		f.onRunChecks()
	}
	if f.checksErr != nil {
		return nil, f.checksErr
	}
	return f.report(), nil
}

// report is the profile's apps with each check in its set state.
func (f *fakeEngine) report() *status.Report {
	at := f.clock.Now()
	rep := &status.Report{Started: at, Finished: at}
	for _, a := range f.p.Apps {
		ar := status.AppResult{ID: a.ID, Name: a.Name, Criticality: a.Criticality, State: status.StateOK}
		for _, c := range a.Checks {
			st, ok := f.states[c.ID]
			if !ok {
				st = status.StateOK
			}
			cr := status.CheckResult{ID: c.ID, AppID: a.ID, Type: c.Type, State: st, At: at}
			if st != status.StateOK {
				cr.Reason = &status.Reason{Code: "code_" + string(st)}
			}
			if rank(st) > rank(ar.State) {
				ar.State = st
			}
			ar.Checks = append(ar.Checks, cr)
		}
		rep.Apps = append(rep.Apps, ar)
	}
	return rep
}

func rank(s status.State) int {
	switch s {
	case status.StateOK:
		return 0
	case status.StateDegraded:
		return 1
	}
	return 2
}

func (f *fakeEngine) OpenLink(ctx context.Context, id string) error {
	if err := f.wait(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.links = append(f.links, id)
	return f.linkErr
}

func (f *fakeEngine) Snapshot() status.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snapshot
}

// exampleProfile is testdata/profiles/example.toml, parsed.
func exampleProfile(t testing.TB) *profile.Profile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "profiles", "example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse("example.toml", b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// During the example's autumn drill window.
var autumn = time.Date(2026, 11, 5, 13, 0, 0, 0, time.UTC)

// testWalker is a walker on a fresh store at path (in a temporary
// directory when empty), with a fake engine and clock.
type testWalker struct {
	*Walker
	db     *store.DB
	path   string
	engine *fakeEngine
	clock  *clock
	p      *profile.Profile
	ids    int
}

func newTestWalker(t testing.TB, p *profile.Profile, now time.Time) *testWalker {
	t.Helper()
	tw := &testWalker{path: filepath.Join(t.TempDir(), "relais.db"), clock: newClock(now), p: p}
	tw.engine = newFakeEngine(p, tw.clock)
	tw.open(t)
	return tw
}

// open (re)opens the store and makes a new Walker on it, as a restarted
// process would.
func (tw *testWalker) open(t testing.TB) {
	t.Helper()
	db, err := store.Open(tw.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tw.db = db
	tw.Walker = &Walker{DB: db, Engine: tw.engine, Version: "1.4.0", Now: tw.clock.Now, Logf: t.Logf,
		NewID: func() string { tw.ids++; return "run-" + string(rune('0'+tw.ids)) }}
}

func intp(i int) *int { return &i }

// codeOf is err's *drills.Error code, or "".
func codeOf(err error) string {
	if e, ok := err.(*drills.Error); ok {
		return e.Code
	}
	return ""
}

// ms is d in float milliseconds, as a report writes durations.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
