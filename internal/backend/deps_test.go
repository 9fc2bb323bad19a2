package backend

import (
	"os/exec"
	"strings"
	"testing"
)

// The backend's clients import it, never the other way round: it depends
// on neither the terminal front end nor the app (nor the GUI toolkit).
func TestBackendImportsNoFrontEnd(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if line == "relais/internal/cli" || line == "relais/app" || strings.HasPrefix(line, "relais/app/") || strings.HasPrefix(line, "fyne.io/") {
			t.Errorf("internal/backend depends on %s", line)
		}
	}
}
