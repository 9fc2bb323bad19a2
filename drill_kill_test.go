package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A drill run survives SIGKILL: `relais drill start demo` is killed while
// it waits at step 3 (steps 1 and 2 done, the second verified by a check);
// the restarted command resumes at step 3 with all evidence so far, and
// `relais drill status --json` shows the same.
func TestDrillResumesAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	home := t.TempDir()
	env := append(os.Environ(), "RELAIS_TEST_EXEC_MAIN=1", "RELAIS_HOME="+home,
		"RELAIS_CONFIG="+filepath.Join(home, "none.toml"), "LANG=fr_FR.UTF-8", "LC_ALL=", "LANGUAGE=", "DISPLAY=")

	cmd := exec.Command(os.Args[0])
	cmd.Env = append(env, "RELAIS_TEST_ARGS=drill start demo")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb lockedBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var seen strings.Builder
	// waitFor reads the output until a line contains want.
	waitFor := func(want string) {
		t.Helper()
		deadline := time.After(90 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the command ended before %q:\n%s\n%s", want, seen.String(), errb.String())
				}
				seen.WriteString(l + "\n")
				if strings.Contains(l, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q within 90 s:\n%s\n%s", want, seen.String(), errb.String())
			}
		}
	}
	waitFor("Étape 1 sur 5")
	io.WriteString(stdin, "\n")
	waitFor("Étape 2 sur 5")
	io.WriteString(stdin, "\n") // tunnel up, verified by paie-dns
	waitFor("Étape 3 sur 5")
	time.Sleep(200 * time.Millisecond) // at the prompt
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	again := exec.Command(os.Args[0])
	again.Env = append(env, "RELAIS_TEST_ARGS=drill start demo")
	again.Stdin = strings.NewReader("q\n")
	out, err := again.CombinedOutput()
	if err != nil {
		t.Fatalf("restart: %v\n%s", err, out)
	}
	for _, want := range []string{"Reprise de l'exercice à l'étape 3 sur 5", "1. Le scénario : fait", "2. Se connecter : fait", "paie-dns", "Étape 3 sur 5"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("after the restart, no %q:\n%s", want, out)
		}
	}

	status := exec.Command(os.Args[0])
	status.Env = append(env, "RELAIS_TEST_ARGS=drill status --json")
	out, _ = status.Output()
	var doc struct {
		Schema int `json:"schema"`
		Runs   []struct {
			State   string `json:"state"`
			Current int    `json:"current"`
			Steps   []struct {
				ID       string `json:"id"`
				State    string `json:"state"`
				Evidence struct {
					Checks []struct {
						ID    string `json:"id"`
						State string `json:"state"`
					} `json:"checks"`
				} `json:"evidence"`
			} `json:"steps"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &doc); err != nil || doc.Schema != 1 || len(doc.Runs) != 1 {
		t.Fatalf("drill status --json: %v\n%s", err, out)
	}
	run := doc.Runs[0]
	if run.State != "active" || run.Current != 2 || run.Steps[0].State != "done" || run.Steps[1].State != "done" ||
		len(run.Steps[1].Evidence.Checks) != 1 || run.Steps[1].Evidence.Checks[0].State != "ok" || run.Steps[2].State != "open" {
		t.Fatalf("the run after SIGKILL: %+v", run)
	}
}
