package drills

import (
	"testing"
	"time"

	"relais/internal/profile"
)

func TestList(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	p := &profile.Profile{Drills: []profile.Drill{
		{ID: "past", Opens: now.Add(-48 * time.Hour), Closes: now.Add(-24 * time.Hour)},
		{ID: "open", Opens: now.Add(-time.Hour), Closes: now.Add(time.Hour)},
		{ID: "soon", Opens: now.Add(time.Hour), Closes: now.Add(2 * time.Hour)},
		{ID: "edge", Opens: now, Closes: now.Add(time.Hour)},  // opens inclusive
		{ID: "shut", Opens: now.Add(-time.Hour), Closes: now}, // closes exclusive
	}}
	runs := []*Run{
		{ID: "r3", DrillID: "open", State: RunCompleted},
		{ID: "r2", DrillID: "open", State: RunActive},
		{ID: "r1", DrillID: "past", State: RunActive}, // resumable after its window
		{ID: "r0", DrillID: "gone", State: RunActive}, // a drill the profile no longer has
	}
	want := []struct {
		id     string
		window Window
		active string
	}{
		{"past", WindowClosed, "r1"},
		{"open", WindowOpen, "r2"},
		{"soon", WindowUpcoming, ""},
		{"edge", WindowOpen, ""},
		{"shut", WindowClosed, ""},
	}
	got := List(p, runs, now)
	if len(got) != len(want) {
		t.Fatalf("%d drills listed, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if g := got[i]; g.Drill.ID != w.id || g.Window != w.window || g.Active != w.active {
			t.Errorf("drill %d: %s %s %q, want %s %s %q", i, g.Drill.ID, g.Window, g.Active, w.id, w.window, w.active)
		}
	}
}

func TestListWithoutProfileOrRuns(t *testing.T) {
	t.Parallel()
	if got := List(nil, nil, time.Now()); got == nil || len(got) != 0 {
		t.Errorf("no profile: %#v, want an empty list", got)
	}
	p := &profile.Profile{Drills: []profile.Drill{{ID: "a"}}}
	if got := List(p, nil, time.Now()); len(got) != 1 || got[0].Active != "" {
		t.Errorf("no runs: %+v", got)
	}
	if r := ActiveRun(nil, "a"); r != nil {
		t.Errorf("ActiveRun of no runs: %+v", r)
	}
}
