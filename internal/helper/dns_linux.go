package helper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"time"
)

// resolvConfMarker starts every resolv.conf the helper writes.
const resolvConfMarker = "# Written by relais helper for the emergency tunnel; restored when it goes down.\n"

// resolvedStub is systemd-resolved's local stub resolver.
const resolvedStub = "127.0.0.53"

// useResolved reports whether systemd-resolved serves this machine's DNS:
// it runs, resolvectl exists, and resolv.conf points at its stub (if it
// does not, telling resolved would change nothing for programs).
func useResolved(resolvConf string) bool {
	if _, err := os.Stat("/run/systemd/resolve/io.systemd.Resolve"); err != nil {
		return false
	}
	if _, err := exec.LookPath("resolvectl"); err != nil {
		return false
	}
	b, err := os.ReadFile(resolvConf)
	return err == nil && bytes.Contains(b, []byte(resolvedStub))
}

// setResolved gives the link its DNS servers and routing domains: only
// names under the profile's domains go to the tunnel's servers (all names
// when it lists none).
func setResolved(ctx context.Context, iface string, servers []netip.Addr, domains []string) error {
	args := []string{"dns", iface}
	for _, s := range servers {
		args = append(args, s.String())
	}
	if err := resolvectl(ctx, args...); err != nil {
		return err
	}
	args = []string{"domain", iface}
	for _, d := range domains {
		args = append(args, "~"+strings.TrimPrefix(d, "~"))
	}
	if len(domains) == 0 {
		args = append(args, "~.")
	}
	return resolvectl(ctx, args...)
}

func resolvectl(ctx context.Context, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "resolvectl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("resolvectl %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// resolvConfFor is the resolv.conf of the tunnel: its servers, its domains
// as search domains. Without systemd-resolved there is no split DNS: like
// wg-quick, the tunnel's servers answer every name while it is up.
func resolvConfFor(servers []netip.Addr, domains []string) []byte {
	var b strings.Builder
	b.WriteString(resolvConfMarker)
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(domains) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(domains, " "))
	}
	return []byte(b.String())
}

// prepareResolvConf reads what resolv.conf is now, for the state file that
// the caller writes before writeResolvConf changes anything.
func prepareResolvConf(path string, servers []netip.Addr, domains []string) (*dnsState, error) {
	ds := &dnsState{Mode: "resolv.conf", Path: path, Written: resolvConfFor(servers, domains)}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		ds.Absent = true
	case err != nil:
		return nil, err
	case fi.Mode()&os.ModeSymlink != 0:
		ds.Symlink, err = os.Readlink(path)
		if err != nil {
			return nil, err
		}
	default:
		ds.Backup, err = os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if bytes.HasPrefix(ds.Backup, []byte(resolvConfMarker)) {
			// Left by a helper that died without its state: never back up
			// our own file, or the restore would keep the tunnel's DNS.
			return nil, fmt.Errorf("%s was written by a previous helper and has no backup", path)
		}
	}
	return ds, nil
}

// writeResolvConf writes the tunnel's resolv.conf. A plain file is
// rewritten in place (it may be a bind mount, as under ip netns exec); a
// symlink is replaced by a file.
func writeResolvConf(ds *dnsState) error {
	if ds.Symlink != "" {
		if err := os.Remove(ds.Path); err != nil {
			return err
		}
	}
	return os.WriteFile(ds.Path, ds.Written, 0o644)
}

// restoreResolvConf puts resolv.conf back, unless someone changed it since
// the helper wrote it.
func restoreResolvConf(ds *dnsState) error {
	cur, err := os.ReadFile(ds.Path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err == nil && !bytes.Equal(cur, ds.Written) {
		return fmt.Errorf("%s changed since the helper wrote it: left as it is", ds.Path)
	}
	if ds.Symlink != "" {
		if err := os.Remove(ds.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return os.Symlink(ds.Symlink, ds.Path)
	}
	if ds.Absent {
		return os.Remove(ds.Path)
	}
	return os.WriteFile(ds.Path, ds.Backup, 0o644)
}
