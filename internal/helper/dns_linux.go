package helper

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// resolvConfMarker starts every resolv.conf the helper writes.
const resolvConfMarker = "# Written by relais helper for the emergency tunnel; restored when it goes down.\n"

// resolvedStub is systemd-resolved's local stub resolver.
const resolvedStub = "127.0.0.53"

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
// symlink is replaced by a file. When it fails, the symlink is put back:
// a refusal (read-only /etc) changes nothing.
func writeResolvConf(ds *dnsState) error {
	if ds.Symlink != "" {
		if err := os.Remove(ds.Path); err != nil {
			return err
		}
	}
	err := os.WriteFile(ds.Path, ds.Written, 0o644)
	if err != nil && ds.Symlink != "" {
		_ = os.Remove(ds.Path)
		if lerr := os.Symlink(ds.Symlink, ds.Path); lerr != nil {
			return errors.Join(err, lerr)
		}
	}
	return err
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
