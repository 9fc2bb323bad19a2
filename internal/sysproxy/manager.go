package sysproxy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
)

// Manager points the desktops' proxy setting at a PAC file and puts it
// back, the previous values always in the Store before anything changes.
type Manager struct {
	Store    Store
	Desktops []Desktop
}

// Apply points every desktop at the PAC file at url. The desktops' current
// values are read and saved (durably) first; if saving fails nothing is
// changed. A desktop whose values are saved already (a tunnel that came
// up again in the same Mode urgence) is pointed at url again without
// being read: what is saved stays the person's own values, never a PAC
// of Relais. A desktop that cannot be read is left alone, and so is one
// already pointed at another Relais' PAC (a second Mode urgence of the
// same person with another store, `relais demo` beside the app): saving
// that PAC as the person's value would leave them on a dead PAC after
// both have stopped; the first one's restore gives their values back.
// The error joins every desktop's failure; the others are applied.
func (m *Manager) Apply(ctx context.Context, url string) error {
	saved, err := m.Store.SavedSystemProxy(ctx)
	if err != nil {
		return fmt.Errorf("sysproxy: read the saved values: %w", err)
	}
	var errs []error
	var apply []Desktop
	added := false
	for _, d := range m.Desktops {
		if slices.ContainsFunc(saved, func(s Saved) bool { return s.Desktop == d.Name() }) {
			apply = append(apply, d)
			continue
		}
		s, err := d.Read(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("sysproxy: %s: read: %w", d.Name(), err))
			continue
		}
		if pointedByRelais(s) {
			continue
		}
		s.Desktop = d.Name()
		saved = append(saved, s)
		apply = append(apply, d)
		added = true
	}
	if added {
		if err := m.Store.SaveSystemProxy(ctx, saved); err != nil {
			return errors.Join(append(errs, fmt.Errorf("sysproxy: save the previous values: %w", err))...)
		}
	}
	for _, d := range apply {
		if err := d.SetPAC(ctx, url); err != nil {
			errs = append(errs, fmt.Errorf("sysproxy: %s: set: %w", d.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// Restore puts back every saved desktop's values, then clears the store.
// A desktop that cannot be restored now (its restore failed, or it is not
// among Desktops) stays saved for the next Restore or Recover; the
// others are cleared. It reports whether anything was saved.
func (m *Manager) Restore(ctx context.Context) (bool, error) {
	saved, err := m.Store.SavedSystemProxy(ctx)
	if err != nil {
		return false, fmt.Errorf("sysproxy: read the saved values: %w", err)
	}
	if len(saved) == 0 {
		return false, nil
	}
	var errs []error
	var left []Saved
	for _, s := range saved {
		i := slices.IndexFunc(m.Desktops, func(d Desktop) bool { return d.Name() == s.Desktop })
		if i < 0 {
			errs = append(errs, fmt.Errorf("sysproxy: %s: not in this session, kept for later", s.Desktop))
			left = append(left, s)
			continue
		}
		if err := m.Desktops[i].Restore(ctx, s); err != nil {
			errs = append(errs, fmt.Errorf("sysproxy: %s: restore: %w", s.Desktop, err))
			left = append(left, s)
		}
	}
	if len(left) == 0 {
		err = m.Store.ClearSystemProxy(ctx)
	} else if len(left) < len(saved) {
		err = m.Store.SaveSystemProxy(ctx, left)
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("sysproxy: clear the saved values: %w", err))
	}
	return true, errors.Join(errs...)
}

// Recover restores the values a Mode urgence saved and never put back
// (the process crashed or was killed): Restore when the store holds any.
// It reports whether there were any.
func (m *Manager) Recover(ctx context.Context) (bool, error) {
	return m.Restore(ctx)
}

// relaisPAC matches a PAC URL of a Relais userspace tunnel (its HTTP proxy
// on loopback, PACPath), in any desktop's textual form of the value
// (GVariant quotes, the registry's text).
var relaisPAC = regexp.MustCompile(`https?://(127\.[0-9]+\.[0-9]+\.[0-9]+|\[::1\]|localhost):[0-9]+/proxy\.pac($|[^A-Za-z0-9./_-])`)

// isRelaisPAC says whether v points at a Relais tunnel's PAC file.
func isRelaisPAC(v string) bool { return relaisPAC.MatchString(v) }

// pointedByRelais says whether a desktop's values, as read, already point
// at a Relais tunnel's PAC.
func pointedByRelais(s Saved) bool {
	for _, v := range s.Values {
		if isRelaisPAC(v) {
			return true
		}
	}
	return false
}
