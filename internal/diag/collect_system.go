package diag

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strconv"
	"strings"

	"relais/internal/diag/bundle"
)

// osRelease reads /etc/os-release (or /usr/lib/os-release), sw_vers on
// macOS, ver on Windows.
func (s *sources) osRelease(ctx context.Context) (any, error) {
	var errs []error
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		b, err := s.readFile(p)
		if err == nil {
			kv := parseOSRelease(b)
			return bundle.OSFacts{Name: kv["NAME"], Version: kv["VERSION"], ID: kv["ID"], VersionID: kv["VERSION_ID"], Pretty: kv["PRETTY_NAME"], Source: p}, nil
		}
		errs = append(errs, err)
	}
	switch runtime.GOOS {
	case "darwin":
		out, err := s.command(ctx, "sw_vers")
		if err != nil {
			return nil, fmt.Errorf("sw_vers: %w", err)
		}
		kv := map[string]string{}
		for _, line := range strings.Split(string(out), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		return bundle.OSFacts{Name: kv["ProductName"], Version: kv["ProductVersion"], VersionID: kv["BuildVersion"], Source: "sw_vers"}, nil
	case "windows":
		out, err := s.command(ctx, "cmd", "/c", "ver")
		if err != nil {
			return nil, fmt.Errorf("ver: %w", err)
		}
		return bundle.OSFacts{Name: "Windows", Pretty: strings.TrimSpace(string(out)), Source: "ver"}, nil
	}
	return nil, errors.Join(errs...)
}

// parseOSRelease reads os-release(5): KEY=value lines, the value maybe
// quoted with shell escapes; comments and malformed lines are skipped.
func parseOSRelease(b []byte) map[string]string {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			continue
		}
		kv[k] = unquoteShell(v)
	}
	return kv
}

// unquoteShell undoes os-release's quoting: "…" with \ escapes, or '…'.
func unquoteShell(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1]
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+1 < len(v) {
				i++
			}
			b.WriteByte(v[i])
		}
		return b.String()
	}
	return v
}

func runtimeFacts() bundle.RuntimeFacts {
	return bundle.RuntimeFacts{OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version(), CPUs: runtime.NumCPU()}
}

func (s *sources) user(context.Context) (any, error) {
	u, err := s.currentUser()
	if err != nil {
		return nil, err
	}
	name, _, _ := strings.Cut(u.Name, ",") // GECOS: the full name, then office, phones…
	return bundle.UserFacts{Login: u.Username, Name: name, UID: u.Uid, Home: u.HomeDir}, nil
}

// localeVars decide the language of the system and of Relais.
var localeVars = []string{"LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LC_CTYPE", "LC_TIME", "TZ"}

func (s *sources) locale(context.Context) (any, error) {
	m := map[string]string{}
	for _, k := range localeVars {
		if v := s.getenv(k); v != "" {
			m[k] = v
		}
	}
	return m, nil
}

// uptime is from /proc/uptime, in seconds.
func (s *sources) uptime(context.Context) (any, error) {
	b, err := s.readFile("/proc/uptime")
	if errors.Is(err, fs.ErrNotExist) && runtime.GOOS != "linux" {
		return nil, errUnsupported
	}
	if err != nil {
		return nil, err
	}
	return parseUptime(b)
}

// parseUptime reads /proc/uptime: "seconds-up seconds-idle".
func parseUptime(b []byte) (float64, error) {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, errors.New("/proc/uptime: empty")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil || v < 0 || v != v || v > 1e12 {
		return 0, fmt.Errorf("/proc/uptime: bad value %q", truncate(f[0], 32))
	}
	return v, nil
}

// truncate cuts s to n bytes at most (for error messages).
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
