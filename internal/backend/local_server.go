package backend

import (
	"net/url"
	"strings"

	"relais/internal/frontend"
	"relais/internal/profile"
	"relais/internal/server"
	"relais/internal/server/campaign"
	"relais/internal/server/web"
)

// The organisation's server behind the profile's intake URLs: its
// Campagne and Dossiers pages, which the app offers to open once a report
// or a bundle is on its way there, and the demo server's accounts.

// serverBase is the organisation's server that raw, an intake URL, is on:
// raw without its path suffix (server.PathReports or PathBundles), or ""
// when raw is not a Relais server's intake (another path, a query, user
// information, plain http off loopback).
func serverBase(raw, suffix string) string {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Hostname() == "" {
		return ""
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !profile.IsLoopbackHost(u.Hostname())) {
		return ""
	}
	p, ok := strings.CutSuffix(u.Path, suffix)
	if !ok {
		return ""
	}
	u.Path, u.RawPath = p, ""
	return strings.TrimSuffix(u.String(), "/")
}

// intakeBase is the server of the profile's report_url (reports true) or
// upload_url; in the demo, the demo office's server.
func (d *Local) intakeBase(reports bool) string {
	d.mu.Lock()
	p, dm := d.prof.Profile, d.dm
	d.mu.Unlock()
	if dm != nil && dm.Office.ServerURL != "" {
		return dm.Office.ServerURL
	}
	if p == nil || p.Helpdesk == nil {
		return ""
	}
	if reports {
		return serverBase(p.Helpdesk.ReportURL, server.PathReports)
	}
	return serverBase(p.Helpdesk.UploadURL, server.PathBundles)
}

// CampaignURL is the drill's Campagne page on the server of the profile's
// report_url; "" when that is not a Relais server.
func (d *Local) CampaignURL(drillID string) string {
	base := d.intakeBase(true)
	if base == "" || drillID == "" {
		return ""
	}
	return base + campaign.Path + "/" + url.PathEscape(drillID)
}

// CaseURL is the bundle's case in Dossiers on the server of the profile's
// upload_url; "" when that is not a Relais server.
func (d *Local) CaseURL(caseCode string) string {
	base := d.intakeBase(false)
	if base == "" || caseCode == "" {
		return ""
	}
	return base + web.PathDossiers + "/" + url.PathEscape(caseCode)
}

// DemoAccounts are the demo server's accounts, once the demo office runs.
func (d *Local) DemoAccounts() []frontend.DemoAccount {
	d.mu.Lock()
	dm := d.dm
	d.mu.Unlock()
	if dm == nil {
		return nil
	}
	out := make([]frontend.DemoAccount, 0, len(dm.Office.DemoAccounts))
	for _, a := range dm.Office.DemoAccounts {
		out = append(out, frontend.DemoAccount{Name: a.Name, Role: string(a.Role), Password: a.Password})
	}
	return out
}
