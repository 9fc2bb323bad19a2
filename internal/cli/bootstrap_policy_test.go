package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"relais/internal/config"
)

// The one profile policy as `relais check` and `relais profile sync` see
// it on a machine that names only a bootstrap file: a newer file adopted
// by check is said and recorded, and a sync after it says nothing
// changed; a newer file whose signature fails is said, recorded as
// refused, and the last good profile stays.
func TestBootstrapAdoptionIsSaidAndRecorded(t *testing.T) {
	t.Parallel()
	m, install := bootstrapOffice(t)
	install(8)
	r := m.run("check", "--mode", "userspace", "--json")
	if !strings.Contains(r.stderr, "Nouvelle copie installée du profil adoptée : série 8") {
		t.Fatalf("check did not say the adoption: %+v", r)
	}
	if s := m.show(); s.Serial != 8 || s.LastSync == nil || s.LastSync.Outcome != "accepted" {
		t.Fatalf("after check: %+v", s)
	}
	if r := m.run("profile", "sync"); r.code != ExitOK || !strings.Contains(r.stdout, "Profil à jour : série 8") {
		t.Fatalf("sync after check: %+v", r)
	}

	managed, err := config.LoadManaged(m.vars["RELAIS_CONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	install(9)
	f := managed.ProfileFile
	body, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	// Tampered after signing: the signature no longer holds.
	if err := os.WriteFile(f, append(body, "\n# altered\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	r = m.run("check", "--mode", "userspace", "--json")
	if !strings.Contains(r.stderr, "La copie installée du profil ("+f+") n'est pas utilisée") {
		t.Fatalf("check did not say the refusal: %+v", r)
	}
	var doc cliCheckDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Profile.Serial != 8 {
		t.Fatalf("check ran on: %v %+v", err, r)
	}
	if s := m.show(); s.Serial != 8 || s.LastSync == nil || s.LastSync.Outcome != "refused" || s.LastSync.Code == "" {
		t.Fatalf("after the refusal: %+v", s)
	}
}
