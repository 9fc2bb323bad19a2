package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"relais/internal/backend"
	"relais/internal/engine"
	"relais/internal/i18n"
	"relais/internal/office"
	"relais/internal/profile"
	"relais/internal/tunnel"
)

// cliCheckDoc mirrors the `relais check --json` shape of the README ("The command line"), written
// independently of the code that prints it.
type cliCheckDoc struct {
	Profile struct {
		Serial int64 `json:"serial"`
		Signed bool  `json:"signed"`
	} `json:"profile"`
	Tunnel struct {
		Mode              string   `json:"mode"`
		Up                bool     `json:"up"`
		LastHandshakeAgeS *float64 `json:"last_handshake_age_s"`
		RxBytes           int64    `json:"rx_bytes"`
		TxBytes           int64    `json:"tx_bytes"`
	} `json:"tunnel"`
	Apps []struct {
		ID     string `json:"id"`
		State  string `json:"state"`
		Checks []struct {
			ID         string  `json:"id"`
			Type       string  `json:"type"`
			State      string  `json:"state"`
			DurationMS float64 `json:"duration_ms"`
			Conditions []struct {
				Expr string `json:"expr"`
				OK   bool   `json:"ok"`
			} `json:"conditions"`
			Reason *struct {
				FR string `json:"fr"`
				EN string `json:"en"`
			} `json:"reason"`
		} `json:"checks"`
	} `json:"apps"`
	TimeToOperationalMS *float64 `json:"time_to_operational_ms"`
}

// runCmd runs one command in-process the way Main does, so that the tests
// do not depend on the command table.
func (m *machineT) runCmd(cmd func(context.Context, *run, []string) int, args ...string) result {
	m.t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errb, Env: backend.Env{GOOS: "linux", Home: m.t.TempDir(), Now: time.Now, Seams: m.seams, Getenv: func(k string) string { return m.vars[k] }}}
	forced, args, err := extractLang(args)
	if err != nil {
		m.t.Fatal(err)
	}
	r := &run{Env: env, lang: i18n.Choose(forced, i18n.Detect(env.Getenv), "")}
	code := cmd(context.Background(), r, args)
	return result{code, out.String(), errb.String()}
}

// officeMachine starts a demo office and a machine that trusts it, with
// its profile synced and the office's client key as the device identity.
func officeMachine(t *testing.T, opt office.Options) (*office.Office, *machineT) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if opt.SlowDelay == 0 {
		opt.SlowDelay = 900 * time.Millisecond
	}
	o, err := office.Start(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	tunnelConfig := func(_ context.Context, _ *backend.Machine, p *profile.Profile) (tunnel.Config, error) {
		return tunnel.FromProfile(p.Tunnel, o.ClientKey, nil)
	}
	m := newMachine(t)
	m.seams.TunnelConfig = tunnelConfig
	m.manage(o.ProfileURL, "", o.TrustedKey)
	if r := m.run("profile", "sync"); r.code != ExitOK {
		t.Fatalf("sync: %+v", r)
	}
	return o, m
}

func TestCheckAgainstDemoOffice(t *testing.T) {
	t.Parallel()
	// No notices: this is the failure's path (see TestCheckDemoOfficeMaintenance).
	o, m := officeMachine(t, office.Options{Serial: 7, NoNotices: true})

	r := m.runCmd(cmdCheck, "--json", "--mode", "userspace")
	if r.code != ExitUnhealthy {
		t.Fatalf("check: exit %d, want 1 (an essential app failed)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var doc cliCheckDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	var raw map[string]any
	_ = json.Unmarshal([]byte(r.stdout), &raw)
	for _, k := range []string{"profile", "tunnel", "apps", "time_to_operational_ms"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("no %q in %s", k, r.stdout)
		}
	}
	if doc.Profile.Serial != 7 || !doc.Profile.Signed {
		t.Errorf("profile %+v", doc.Profile)
	}
	if doc.Tunnel.Mode != "userspace" || !doc.Tunnel.Up || doc.Tunnel.LastHandshakeAgeS == nil || doc.Tunnel.RxBytes == 0 || doc.Tunnel.TxBytes == 0 {
		t.Errorf("tunnel %+v", doc.Tunnel)
	}
	if doc.TimeToOperationalMS != nil {
		t.Errorf("time to operational %v, want null: messagerie is essential and down", *doc.TimeToOperationalMS)
	}
	want := map[string]string{"paie": "ok", "dossiers": "degraded", "messagerie": "failed", office.Dependent: "blocked"}
	for _, a := range doc.Apps {
		if a.State != want[a.ID] {
			t.Errorf("%s: %s, want %s", a.ID, a.State, want[a.ID])
		}
		for _, c := range a.Checks {
			if c.ID == "" || c.Type == "" || c.State == "" || c.Conditions == nil {
				t.Errorf("check %+v", c)
			}
			if (c.State == "ok") != (c.Reason == nil) {
				t.Errorf("%s: state %s, reason %+v", c.ID, c.State, c.Reason)
			}
		}
		switch a.ID {
		case "paie":
			if c := a.Checks[0]; c.DurationMS <= 0 || len(c.Conditions) != 4 || !c.Conditions[0].OK || c.Conditions[0].Expr != "[STATUS] (200) == 200" {
				t.Errorf("paie-web %+v", c)
			}
		case "messagerie":
			c := a.Checks[0]
			if c.Reason == nil || !strings.Contains(c.Reason.FR, "503") || !strings.Contains(c.Reason.EN, "503") || !strings.Contains(c.Reason.FR, "+1-555-0100") {
				t.Errorf("messagerie-web reason %+v", c.Reason)
			}
			if c.Conditions[0].Expr != "[STATUS] (503) == 200" || c.Conditions[0].OK {
				t.Errorf("messagerie-web conditions %+v", c.Conditions)
			}
		}
	}
	if len(doc.Apps) != 4 {
		t.Fatalf("%d apps", len(doc.Apps))
	}
	if o.Hits("messagerie.intra") == 0 {
		t.Error("the broken app was never asked")
	}

	// The table, in French: each failing app with its reason and next step.
	r = m.runCmd(cmdCheck)
	if r.code != ExitUnhealthy {
		t.Fatalf("check: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, w := range []string{"Profil : série 7, signé et vérifié.", "Tunnel : ouvert (sans droits d'administrateur)", "Paie", "Messagerie", "en panne",
		"Archives du courrier", "bloquée par : messagerie", "Raison :", "À faire :",
		"Vous êtes connecté à l'environnement d'urgence — 2 applications essentielles sur 3 répondent."} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("table lacks %q:\n%s", w, r.stdout)
		}
	}
	t.Logf("relais check:\n%s", r.stdout)

	// relais status shows the last results from the store.
	r = m.run("status", "--json")
	var st struct {
		Engine *struct {
			Phase   string `json:"phase"`
			Stopped bool   `json:"stopped"`
		} `json:"engine"`
		Checks []struct {
			ID, State, ReasonCode string
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.Engine == nil || st.Engine.Phase != "failed" || !st.Engine.Stopped || len(st.Checks) < 8 {
		t.Fatalf("status: %v %+v\n%s", err, st, r.stdout)
	}
	r = m.run("status")
	if !strings.Contains(r.stdout, "Dernières vérifications") || !strings.Contains(r.stdout, "messagerie-web") || !strings.Contains(r.stdout, "http_status") {
		t.Errorf("status table:\n%s", r.stdout)
	}
	t.Logf("relais status:\n%s", r.stdout)
}

func TestCheckHealthyEssentialsExits0(t *testing.T) {
	t.Parallel()
	_, m := officeMachine(t, office.Options{HealthyEssentialsOnly: true})
	r := m.runCmd(cmdCheck, "--json", "--lang", "en")
	if r.code != ExitOK {
		t.Fatalf("check: exit %d, want 0\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var doc cliCheckDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.TimeToOperationalMS == nil || *doc.TimeToOperationalMS <= 0 {
		t.Fatalf("%v %+v", err, doc)
	}
	r = m.runCmd(cmdCheck, "--lang", "en")
	if r.code != ExitOK || !strings.Contains(r.stdout, "Operational in") || !strings.Contains(r.stdout, "Payroll") {
		t.Fatalf("check: exit %d\n%s", r.code, r.stdout)
	}
}

func TestCheckUsageAndConfig(t *testing.T) {
	t.Parallel()
	m := newMachine(t)
	if r := m.runCmd(cmdCheck, "extra"); r.code != ExitUsage {
		t.Fatalf("extra argument: %+v", r)
	}
	if r := m.runCmd(cmdCheck, "--mode", "bogus"); r.code != ExitUsage {
		t.Fatalf("bad mode: %+v", r)
	}
	// Without a managed configuration, "relais profile sync" cannot help:
	// the message points at the demo.
	if r := m.runCmd(cmdCheck); r.code != ExitUsage || !strings.Contains(r.stderr, "relais demo --headless") || strings.Contains(r.stderr, "profile sync") {
		t.Fatalf("no profile: %+v", r)
	}
}

// The document's tunnel says why it did not come up as a code, the
// engine's (what every front end words), beside the error, a detail for
// the log; a state recorded by an older Relais, with the error alone, is
// the catch-all code.
func TestCheckDocTunnelErrorCode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		s    engine.Snapshot
		want string
	}{
		{engine.Snapshot{TunnelError: "helper: forbidden: uid 1000 is not in group relais", TunnelErrorCode: engine.TunnelHelperRefused}, engine.TunnelHelperRefused},
		{engine.Snapshot{TunnelError: "tunnel: no handshake within 30s"}, engine.TunnelFailed},
		{engine.Snapshot{}, ""},
	} {
		b, err := json.Marshal(newCheckDoc(tt.s, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Tunnel map[string]any `json:"tunnel"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		code, has := doc.Tunnel["error_code"]
		if tt.want == "" && has || tt.want != "" && code != tt.want {
			t.Errorf("%q: tunnel %v, want error_code %q", tt.s.TunnelError, doc.Tunnel, tt.want)
		}
		if e, _ := doc.Tunnel["error"].(string); e != tt.s.TunnelError {
			t.Errorf("%q: error %q", tt.s.TunnelError, e)
		}
	}
}
