package sysproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// GNOME's proxy setting: GSettings schema org.gnome.system.proxy, whose
// keys live in dconf under /system/proxy/ (the dconf backend, GNOME's
// default). Mode 'auto' with autoconfig-url is the PAC configuration;
// GLib's proxy resolver (GProxyResolver, hence GNOME programs, libproxy
// and Chromium on GNOME) follows it at once.
const (
	GNOMESchema   = "org.gnome.system.proxy"
	gnomeDconfDir = "/system/proxy/"
	GNOMEMode     = "mode"
	GNOMEPACURL   = "autoconfig-url"
)

// gnomeKeys are the keys SetPAC changes, in the order it writes them:
// the URL first, so that a program switching to 'auto' finds it.
var gnomeKeys = []string{GNOMEPACURL, GNOMEMode}

// Run runs a program with arguments under ctx and returns its standard
// output; the error carries its standard error. Tests replace it.
type Run func(ctx context.Context, name string, args ...string) (string, error)

// ExecRun is Run with os/exec.
func ExecRun(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return out.String(), nil
}

// cmdTimeout bounds each gsettings or dconf call.
const cmdTimeout = 5 * time.Second

// GNOME is the GSettings proxy setting. With Dconf (the dconf backend, the
// dconf command on PATH) a key at its default — not written in dconf — is
// read as Absent and reset on restore, so that the dconf database ends up
// exactly as it was; without it every key is read and restored through
// gsettings.
type GNOME struct {
	Run   Run  // nil: ExecRun
	Dconf bool // read the keys with `dconf read`, which tells a default from a value
}

// Name is "gnome".
func (g *GNOME) Name() string { return "gnome" }

func (g *GNOME) run(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, cmdTimeout)
	defer cancel()
	if g.Run != nil {
		return g.Run(ctx, name, args...)
	}
	return ExecRun(ctx, name, args...)
}

// Read returns the keys SetPAC changes, as GVariant text.
func (g *GNOME) Read(ctx context.Context) (Saved, error) {
	s := Saved{Desktop: g.Name(), Values: map[string]string{}}
	for _, k := range gnomeKeys {
		var out string
		var err error
		if g.Dconf {
			out, err = g.run(ctx, "dconf", "read", gnomeDconfDir+k)
		} else {
			out, err = g.run(ctx, "gsettings", "get", GNOMESchema, k)
		}
		if err != nil {
			return Saved{}, fmt.Errorf("sysproxy: gnome: read %s: %w", k, err)
		}
		v := strings.TrimRight(out, "\n")
		if v == "" {
			if !g.Dconf {
				return Saved{}, fmt.Errorf("sysproxy: gnome: read %s: no value", k)
			}
			s.Absent = append(s.Absent, k)
			continue
		}
		if err := checkGVariant(v); err != nil {
			return Saved{}, fmt.Errorf("sysproxy: gnome: read %s: %w", k, err)
		}
		s.Values[k] = v
	}
	return s, nil
}

// SetPAC sets autoconfig-url, then mode 'auto', and reads mode back: a
// write that did not reach the settings (no session bus for dconf) is an
// error, not a silent success.
func (g *GNOME) SetPAC(ctx context.Context, url string) error {
	if err := g.set(ctx, GNOMEPACURL, GVariantString(url)); err != nil {
		return err
	}
	if err := g.set(ctx, GNOMEMode, GVariantString("auto")); err != nil {
		return err
	}
	out, err := g.run(ctx, "gsettings", "get", GNOMESchema, GNOMEMode)
	if err != nil {
		return fmt.Errorf("sysproxy: gnome: read back: %w", err)
	}
	if v := strings.TrimSpace(out); v != "'auto'" {
		return fmt.Errorf("sysproxy: gnome: mode is %s after setting it to 'auto'", v)
	}
	return nil
}

// Restore sets each saved value back and resets each absent key.
func (g *GNOME) Restore(ctx context.Context, s Saved) error {
	var errs []error
	// The mode first: programs leave 'auto' before the URL changes.
	for _, k := range []string{GNOMEMode, GNOMEPACURL} {
		if v, ok := s.Values[k]; ok {
			if err := checkGVariant(v); err != nil {
				errs = append(errs, fmt.Errorf("sysproxy: gnome: restore %s: %w", k, err))
				continue
			}
			errs = append(errs, g.set(ctx, k, v))
		}
	}
	for _, k := range s.Absent {
		if k != GNOMEMode && k != GNOMEPACURL {
			continue // not a key Relais changes: never touched
		}
		if _, err := g.run(ctx, "gsettings", "reset", GNOMESchema, k); err != nil {
			errs = append(errs, fmt.Errorf("sysproxy: gnome: reset %s: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

func (g *GNOME) set(ctx context.Context, key, text string) error {
	if _, err := g.run(ctx, "gsettings", "set", GNOMESchema, key, text); err != nil {
		return fmt.Errorf("sysproxy: gnome: set %s: %w", key, err)
	}
	return nil
}

// GVariantString is s as a GVariant text string literal ('…'), as
// gsettings set and dconf write take it.
func GVariantString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// ParseGVariantString reads a GVariant text string literal ('…' or "…",
// with backslash escapes, in UTF-8), as gsettings get and dconf read print a string
// key. ok is false for anything else.
func ParseGVariantString(text string) (s string, ok bool) {
	if len(text) < 2 || !utf8.ValidString(text) {
		return "", false
	}
	q := text[0]
	if (q != '\'' && q != '"') || text[len(text)-1] != q {
		return "", false
	}
	body := text[1 : len(text)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == q:
			return "", false // an unescaped quote inside
		case c != '\\':
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(body) {
			return "", false
		}
		switch e := body[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'u':
			if i+5 > len(body) {
				return "", false
			}
			r, err := strconv.ParseUint(body[i+1:i+5], 16, 32)
			if err != nil {
				return "", false
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			b.WriteByte(e)
		}
	}
	return b.String(), true
}

// checkGVariant accepts the GVariant text of a value Relais may pass
// back to gsettings set: a string literal (autoconfig-url, mode), on one
// line. Anything else in the store (edited by hand, damaged) is refused
// rather than written to the person's settings.
func checkGVariant(v string) error {
	if strings.ContainsAny(v, "\n\r") {
		return errors.New("not one line")
	}
	if _, ok := ParseGVariantString(v); !ok {
		return fmt.Errorf("not a GVariant string: %.40q", v)
	}
	return nil
}
