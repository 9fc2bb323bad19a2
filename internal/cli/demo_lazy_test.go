package cli

import (
	"testing"
)

// On a machine without a managed configuration (the demo), `relais diag`
// and the drill commands that need no profile never start the demo office;
// `relais drill list` starts it only to fetch the demo profile the first
// time, none being cached yet. Before the backend, each of them started
// the whole office just to open the app's backend.
func TestDrillAndDiagLeaveTheDemoOfficeAlone(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	offices := watchOffices(m)
	step := func(want int, args ...string) {
		t.Helper()
		if r := m.run(args...); r.code != ExitOK {
			t.Fatalf("%v: %+v", args, r)
		}
		if n := len(offices()); n != want {
			t.Fatalf("after %v: %d demo offices started, want %d", args, n, want)
		}
	}
	step(0, "diag", "export", "-o", t.TempDir())
	step(0, "drill", "status")
	step(1, "drill", "list") // the demo profile, fetched once
	step(1, "drill", "list")
	step(1, "drill", "status")
	step(1, "diag", "export", "-o", t.TempDir())
}
