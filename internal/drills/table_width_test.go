package drills

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"relais/internal/testenv"
)

// The HTML table fits a 1280 px wide window: no sideways scrolling,
// long names, answers and remarks included (measured by a real browser).
func TestTableFits1280(t *testing.T) {
	chromium := testenv.NeedTools(t, "chromium")[0]
	g := generateReports(30, 0)
	long := strings.Repeat("Le portail ne s'ouvrait pas depuis la maison, ", 6)
	for i := range g.finals {
		g.finals[i].Participant = "Marie-Élisabeth Tremblay-Lavoie " + strconv.Itoa(i)
		g.finals[i].Feedback = long
		g.finals[i].Steps[1].Evidence.Note = long
		g.finals[i].Steps[4].Evidence.Answer = long
		g.finals[i].Steps[2].State, g.finals[i].Steps[2].SkipReason = StepSkipped, long
	}
	var page bytes.Buffer
	if err := Summarize(g.finals).WriteHTML(&page, "fr"); err != nil {
		t.Fatal(err)
	}
	// Measured by a script added to a copy of the page (the page itself
	// runs none).
	probe := strings.Replace(page.String(), "</body>",
		`<script>var s=document.querySelector(".scroll");document.body.setAttribute("data-width", String(Math.max(document.documentElement.scrollWidth, s?s.scrollWidth+s.getBoundingClientRect().left:0)))</script></body>`, 1)
	dir := t.TempDir()
	file := filepath.Join(dir, "table.html")
	if err := os.WriteFile(file, []byte(probe), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+file)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	m := regexp.MustCompile(`data-width="(\d+)"`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no width measured:\n%.500s", out)
	}
	if w, _ := strconv.Atoi(string(m[1])); w > 1280 {
		t.Fatalf("the table is %d px wide in a 1280 px window", w)
	}
}
