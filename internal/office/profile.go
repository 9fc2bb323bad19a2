package office

import (
	"fmt"
	"strings"

	"relais/internal/tunnel"
)

// Dependent is the demo app that requires the broken one: Mode urgence
// shows it blocked (one outage, one red line). It is not essential.
const Dependent = "archives"

// published is what the profile says about the office's own server, known
// only once it listens: where things are, and the hash of the picture.
type published struct {
	ProfileURL   string
	ReportURL    string // helpdesk.report_url
	UploadURL    string // helpdesk.upload_url; "": none
	ButtonURL    string // the asset ButtonAsset
	ButtonSHA256 string // hex
	AgeRecipient string // helpdesk.age_recipient
	NoticesURL   string // notices.url; "": no [notices]
	NoticeKey    string // notices.public_key
}

// essentials says which of the office's apps the profile makes essential.
type essentials int

const (
	allEssential       essentials = iota // the three apps
	brokenNotEssential                   // the healthy and the slow one (the demo)
	healthyOnly                          // the healthy one
)

// essentialsOf reads Options.
func essentialsOf(opt Options) essentials {
	switch {
	case opt.HealthyEssentialsOnly:
		return healthyOnly
	case opt.BrokenNotEssential:
		return brokenNotEssential
	}
	return allEssential
}

// demoProfile is the demo continuity profile: the office's tunnel, the
// three apps with their checks (the slow one degraded by design, the broken
// one failed), an app that requires the broken one (blocked), links,
// contacts, the helpdesk (report receiver, age recipient), a picture, two
// help pages and a drill with a step of each kind. ess says which apps
// are essential (the others are "important").
func demoProfile(serial int64, pub published, endpoint string, serverKey tunnel.Key, ess essentials) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `# Profil de démonstration de Relais : généré et signé par le bureau de démonstration.
schema = 1
serial = %d
default_language = "fr"

[organisation]
name = { fr = "Bureau de démonstration", en = "Demo office" }
profile_url = %q

[tunnel]
endpoint = %q
server_public_key = %q
address = [%q]
allowed_ips = [%q]
dns = [%q]
dns_domains = [%q]
mtu = %d
persistent_keepalive = 25
`, serial, pub.ProfileURL, endpoint, serverKey.String(), ClientAddress.String(), Network.String(), OfficeAddr.String(), Zone, MTU)

	names := map[string][2]string{
		"paie":       {"Paie", "Payroll"},
		"dossiers":   {"Dossiers partagés", "Shared folders"},
		"messagerie": {"Messagerie", "Email"},
	}
	var broken string
	for _, a := range Apps {
		n := names[a.ID]
		criticality := "essential"
		if ess == healthyOnly && a.Behaviour != Healthy || ess == brokenNotEssential && a.Behaviour == Broken {
			criticality = "important"
		}
		if a.Behaviour == Broken {
			broken = a.ID
		}
		fmt.Fprintf(&b, `
[[apps]]
id = %q
name = { fr = %q, en = %q }
criticality = %q
requires = ["tunnel"]

  [[apps.checks]]
  id = "%s-web"
  type = "http"
  target = %q
  conditions = ["[STATUS] == 200", "[RESPONSE_TIME] < 5000", "[BODY] == pat(*ok*)"]
  degraded_if = ["[RESPONSE_TIME] > 800"]
  timeout = "5s"

  [[apps.checks]]
  id = "%s-dns"
  type = "dns"
  target = %q
  conditions = ["[DNS_RCODE] == NOERROR", "[IP] == %s"]
  timeout = "3s"
`, a.ID, n[0], n[1], criticality, a.ID, a.HealthURL, a.ID, a.Host, a.Addr)
	}
	fmt.Fprintf(&b, `
[[apps]]
id = %q
name = { fr = "Archives du courrier", en = "Mail archive" }
criticality = "important"
requires = ["tunnel", %q]

  [[apps.checks]]
  id = "%s-web"
  type = "http"
  target = "http://%s/archives"
  conditions = ["[STATUS] == 200"]
  timeout = "5s"
`, Dependent, broken, Dependent, PortalHost)
	b.WriteString(`
[[links]]
id = "portail"
name = { fr = "Portail d'urgence", en = "Emergency portal" }
description = { fr = "Consignes et formulaires de la démonstration.", en = "The demo's instructions and forms." }
url = "http://portail.intra/"
via = "tunnel"
needs = ["paie"]

[[links]]
id = "dossiers"
name = { fr = "Dossiers partagés", en = "Shared folders" }
url = "http://dossiers.intra/"
via = "tunnel"
needs = ["dossiers"]

[[contacts]]
role = "helpdesk"
name = { fr = "Centre de services (démo)", en = "Service desk (demo)" }
phone = "+1-555-0100"
email = "soutien@example.org"
hours = { fr = "24 h sur 24", en = "24/7" }

[[contacts]]
role = "ambassador"
name = { fr = "Camille, ambassadrice (démo)", en = "Camille, ambassador (demo)" }
phone = "+1-555-0101"
`)
	fmt.Fprintf(&b, `
[helpdesk]
age_recipient = %q
report_url = %q
`, pub.AgeRecipient, pub.ReportURL)
	if pub.UploadURL != "" {
		fmt.Fprintf(&b, "upload_url = %q\n", pub.UploadURL)
	}
	fmt.Fprintf(&b, `
[[assets]]
id = %q
url = %q
sha256 = %q
`, ButtonAsset, pub.ButtonURL, pub.ButtonSHA256)
	if pub.NoticesURL != "" {
		fmt.Fprintf(&b, `
[notices]
url = %q
public_key = %q
`, pub.NoticesURL, pub.NoticeKey)
	}
	b.WriteString(`
[[pages]]
id = "premiers-pas"
title = { fr = "Premiers pas en mode urgence", en = "First steps in emergency mode" }
body = { fr = """
# Premiers pas

1. Cliquez sur **Mode urgence**.
2. Attendez que chaque application essentielle passe au vert.

![Le bouton Mode urgence](asset:bouton.png)

Dans cette démonstration, la paie répond, les dossiers partagés sont lents et la messagerie est en panne : c'est voulu. La messagerie n'est pas essentielle ici : le Mode urgence devient quand même opérationnel.
""", en = """
# First steps

1. Click **Mode urgence**.
2. Wait until every essential application turns green.

![The Mode urgence button](asset:bouton.png)

In this demo, payroll answers, shared folders are slow and email is down: on purpose. Email is not essential here, so Mode urgence still reaches "operational".
""" }

[[pages]]
id = "en-cas-de-panne"
title = { fr = "Quand une application reste rouge", en = "When an application stays red" }
body = { fr = """
# Quand une application reste rouge

- Lisez la raison affichée à côté de l'application.
- Sur l'écran Applications, essayez **Vérifier de nouveau**.
- Sinon, appelez le centre de services au +1-555-0100 et donnez le code du diagnostic.
""", en = """
# When an application stays red

- Read the reason shown beside the application.
- On the Applications screen, try **Check again**.
- Otherwise call the service desk on +1-555-0100 and give the diagnostics code.
""" }

[[drills]]
id = "demo"
title = { fr = "Exercice de démonstration", en = "Demo drill" }
exercise = "walkthrough"
opens = 2020-01-01T00:00:00Z
closes = 2100-01-01T00:00:00Z
rto = "15m"

  [[drills.steps]]
  id = "scenario"
  kind = "instruction"
  title = { fr = "Le scénario", en = "The scenario" }
  body = { fr = "Le siège est inaccessible. Travaillez depuis chez vous avec Relais.", en = "Head office is out of reach. Work from home with Relais." }

  [[drills.steps]]
  id = "connexion"
  kind = "action"
  title = { fr = "Se connecter", en = "Connect" }
  body = { fr = "Cliquez sur **Faire l'action et vérifier** : Relais active le Mode urgence pour vous. En situation réelle, c'est le bouton Mode urgence de l'Accueil, que voici :\n\n![Le bouton Mode urgence de l'Accueil](asset:bouton.png)", en = "Click **Do it and check**: Relais turns Mode urgence on for you. In a real emergency, it is the Mode urgence button on Home, shown here:\n\n![The Mode urgence button on Home](asset:bouton.png)" }
  action = "tunnel_up"
  checks = ["paie-dns"]
  expected = "1m"

  [[drills.steps]]
  id = "portail"
  kind = "action"
  title = { fr = "Ouvrir le portail", en = "Open the portal" }
  body = { fr = "Cliquez sur **Faire l'action et vérifier** : Relais ouvre le portail d'urgence dans votre navigateur.", en = "Click **Do it and check**: Relais opens the emergency portal in your browser." }
  action = "open_link:portail"
  expected = "2m"

  [[drills.steps]]
  id = "paie"
  kind = "check"
  title = { fr = "Vérifier la paie", en = "Check payroll" }
  body = { fr = "Relais vérifie que la paie répond.", en = "Relais checks that payroll answers." }
  checks = ["paie-web"]

  [[drills.steps]]
  id = "avis"
  kind = "question"
  title = { fr = "Était-ce facile ?", en = "Was it easy?" }
  body = { fr = "Choisissez la réponse qui vous ressemble.", en = "Pick the answer that fits." }
  choices = [
    { fr = "Oui, sans aide", en = "Yes, without help" },
    { fr = "Oui, avec de l'aide", en = "Yes, with help" },
    { fr = "Non", en = "No" },
  ]
  required = false
`)
	return []byte(b.String())
}
