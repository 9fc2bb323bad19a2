package campaign_test

import (
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"relais/internal/drills"
	"relais/internal/server/db"
)

// benchReports is the size of the benchmark's campaign.
const benchReports = 100_000

// seedCampaign stores n real reports of the sample's drill, varied (times
// to operational from 1 to 50 minutes around a 30-minute RTO, a fifth
// skipping "applications" for one of eight reasons with SMTP failed, one
// in twenty failing the portal, a third with feedback), in transactions
// of 10,000 (db.PutReports).
func seedCampaign(b *testing.B, d *db.DB, n int) {
	s := sample(b)
	reasons := []string{"SMTP en panne", "Pas le temps", "Mot de passe oublié", "Réseau du domicile trop lent",
		"Poste en mise à jour", "Application introuvable", "Je n'ai pas compris l'étape", "Autre"}
	const per = 10_000
	for start := 0; start < n; start += per {
		items := make([]db.Import, 0, per)
		for i := start; i < min(start+per, n); i++ {
			r := s
			r.RunID, r.Participant = fmt.Sprintf("bench-%06d", i), fmt.Sprintf("Agent %05d", i%40_000)
			r.Steps = append([]drills.ReportStep(nil), s.Steps...)
			tto := float64(60_000 + (i*7919)%(49*60_000))
			within := tto <= r.RTOMS
			r.TimeToOperationalMS, r.WithinRTO, r.Completed = &tto, &within, true
			r.Feedback = ""
			if i%3 == 0 {
				r.Feedback = fmt.Sprintf("Retour n°%d : la connexion a pris du temps, ensuite tout a fonctionné.", i)
			}
			if i%5 == 0 {
				r.Steps[3].SkipReason, r.Completed = reasons[i%len(reasons)], false
			} else {
				r.Steps[3].State, r.Steps[3].SkipReason, r.Steps[3].Failure = drills.StepDone, "", ""
				r.Steps[3].Evidence.Checks = r.Steps[3].Evidence.Checks[:2]
			}
			if i%20 == 1 {
				r.Steps[2].State, r.Steps[2].Failure, r.Completed = drills.StepFailed, "action_failed", false
				r.TimeToOperationalMS, r.WithinRTO = nil, nil
			}
			body, err := r.JSON()
			if err != nil {
				b.Fatal(err)
			}
			items = append(items, db.Import{Key: r.RunID, Source: fmt.Sprintf("10.20.%d.%d", i/250%250, i%250),
				ContentType: "application/json", Body: body, Facts: db.FactsOf(&r)})
		}
		if _, err := d.PutReports(b.Context(), items); err != nil {
			b.Fatal(err)
		}
	}
	// As autovacuum leaves a server in service.
	if err := d.Analyze(b.Context()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCampaignPage renders the page of a drill with 100,000 reports
// (server time: the handler, its queries and template), and reports the
// process's memory after it.
func BenchmarkCampaignPage(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			d := openDB(b, be.new(b))
			t0 := time.Now()
			seedCampaign(b, d, benchReports)
			b.Logf("%s: %d reports seeded in %v", be.name, benchReports, time.Since(t0).Round(time.Millisecond))
			h := handler(d)
			if a := get(b, h, "/campagnes/automne-2026"); a.status != http.StatusOK {
				b.Fatalf("%d %s", a.status, a.body)
			}
			b.ResetTimer()
			start := time.Now()
			n := 0
			for b.Loop() {
				if a := get(b, h, "/campagnes/automne-2026"); a.status != http.StatusOK {
					b.Fatal(a.status)
				}
				n++
			}
			per := time.Since(start) / time.Duration(max(n, 1))
			b.StopTimer()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			b.ReportMetric(float64(per.Microseconds())/1000, "ms/render")
			b.ReportMetric(float64(m.HeapInuse)/(1<<20), "heap-MB")
			b.ReportMetric(float64(m.Sys)/(1<<20), "sys-MB")
		})
	}
}
