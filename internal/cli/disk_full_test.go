package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relais/internal/store"
	"relais/internal/testenv"
)

// A full disk while Mode urgence runs: the tunnel keeps working; status
// once said "none up" and "connecting", and sync "Profil refusé". Now they
// say that the disk is full, and nothing untrue.
func TestFullDisk(t *testing.T) {
	t.Parallel()
	disk := testenv.SmallDisk(t, "8m")
	m, install := bootstrapOfficeAt(t, filepath.Join(disk, "relais"))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	upCtx, stop := context.WithCancel(ctx)
	defer stop()
	out, errb, done := m.start(upCtx, "up", "--mode", "userspace")
	// up says what it does as it goes, not only when it ends.
	for !strings.Contains(out.String(), "Tunnel ouvert") {
		select {
		case c := <-done:
			t.Fatalf("up ended: %d\n%s\n%s", c, out.String(), errb.String())
		case <-ctx.Done():
			t.Fatalf("up said nothing while running\n%s\n%s", out.String(), errb.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if !strings.Contains(errb.String(), "Mode urgence : ouverture du tunnel (sans droits d'administrateur)…") {
		t.Fatalf("up did not say it was starting:\n%s", errb.String())
	}
	free := testenv.FillDisk(t, disk)

	// A newer profile that cannot be written was not refused.
	install(8)
	r := m.run("profile", "sync")
	if r.code != ExitUnhealthy || !strings.Contains(r.stderr, "Le disque est plein") || strings.Contains(r.stderr, "Profil refusé") {
		t.Fatalf("sync on a full disk: %+v", r)
	}
	if r := m.run("--lang", "en", "profile", "sync"); !strings.Contains(r.stderr, "The disk is full") || strings.Contains(r.stderr, "refused") {
		t.Fatalf("sync on a full disk, in English: %+v", r)
	}
	// The tunnel's record cannot be written (up re-records at least every
	// few seconds): up says so, once.
	const recordFull = "Le disque est plein : l'état du tunnel ne peut plus être enregistré"
	for !strings.Contains(errb.String(), recordFull) {
		select {
		case c := <-done:
			t.Fatalf("up ended: %d\n%s", c, errb.String())
		case <-ctx.Done():
			t.Fatalf("up never said that its state could not be recorded\n%s", errb.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if n := strings.Count(errb.String(), recordFull); n != 1 {
		t.Fatalf("said %d times:\n%s", n, errb.String())
	}
	// status says the disk is full and that what it shows is the last
	// state recorded; never "none up" while a tunnel is up.
	st := m.run("status")
	if !strings.Contains(st.stdout, "Le disque est plein : Relais ne peut plus enregistrer l'état du tunnel") ||
		strings.Contains(st.stdout, "aucun tunnel ouvert") {
		t.Fatalf("status on a full disk: %+v", st)
	}
	var doc struct {
		DiskFull bool `json:"disk_full"`
	}
	if r := m.run("status", "--json"); json.Unmarshal([]byte(r.stdout), &doc) != nil || !doc.DiskFull {
		t.Fatalf("status --json on a full disk: %+v", r)
	}
	if r := m.run("--lang", "en", "status"); !strings.Contains(r.stdout, "The disk is full") {
		t.Fatalf("status in English: %+v", r)
	}
	free()
	if s := m.show(); s.Serial != 7 {
		t.Fatalf("profile after a full disk: %+v", s)
	}
	stop()
	<-done
}

// With no tunnel record at all (it could not be written), status on a
// full disk says the state is unknown rather than "none up".
func TestFullDiskStatusWithoutRecord(t *testing.T) {
	t.Parallel()
	disk := testenv.SmallDisk(t, "8m")
	home := filepath.Join(disk, "relais")
	m, _ := bootstrapOfficeAt(t, home)
	// Another process (the app) holds the store open, as while Mode
	// urgence runs.
	db, err := store.Open(filepath.Join(home, "relais.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	testenv.FillDisk(t, disk)
	r := m.run("status")
	if !strings.Contains(r.stdout, "Tunnel : état inconnu (le disque est plein") || strings.Contains(r.stdout, "aucun tunnel ouvert") {
		t.Fatalf("status: %+v", r)
	}
}
