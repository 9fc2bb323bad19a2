package helper

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"aead.dev/minisign"
	"golang.org/x/sys/unix"
)

// Run is `relais helper`: it cleans up what a previous helper left, serves
// the API on the socket until ctx ends, then tears everything down.
func Run(ctx context.Context, o Options) error {
	if os.Geteuid() != 0 {
		return ErrNotRoot
	}
	if o.Socket == "" {
		o.Socket = DefaultSocket
	}
	if o.Group == "" {
		o.Group = DefaultGroup
	}
	if o.Interface == "" {
		o.Interface = DefaultInterface
	}
	if o.StatePath == "" {
		o.StatePath = filepath.Join(filepath.Dir(o.Socket), "state.json")
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir(os.Getenv)
	}
	if o.ResolvConf == "" {
		o.ResolvConf = "/etc/resolv.conf"
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if len(o.Interface) >= unix.IFNAMSIZ {
		return fmt.Errorf("helper: interface name %q is longer than %d characters", o.Interface, unix.IFNAMSIZ-1)
	}
	gid, hasGroup := lookupGroup(o.Group)
	if !hasGroup {
		pitfallNoGroup(o.Logf, o.Group)
	}

	mark, err := stateDirMark(o.StateDir, o.Logf)
	if err != nil {
		return err
	}

	backend := newSystemBackend(o.Interface, o.StatePath, o.ResolvConf, o.Logf)
	backend.reresolve, backend.stale = o.ReresolveEvery, o.EndpointStaleAfter
	l, err := listen(o.Socket, gid, hasGroup)
	if err != nil {
		return err
	}
	// Only one helper gets past listen: the cleanup cannot race a live one.
	if err := backend.Cleanup(); err != nil {
		o.Logf("%v", err)
	}
	defer os.Remove(o.Socket)
	srv := &Server{
		Backend:     backend,
		TrustedKeys: func() ([]minisign.PublicKey, error) { return LoadTrustedKeys(o.ConfigPath) },
		Authorize:   groupAuthorizer(gid, hasGroup, o.Group, procGroups),
		PeerUID:     peerUID,
		HighWater:   mark,
		Interface:   o.Interface,
		Logf:        o.Logf,
	}
	if o.Ready != nil {
		o.Ready(o.Socket)
	}
	return srv.Serve(ctx, l)
}

// listen makes the socket: mode 0660, owned by root and the group (0600
// when there is no group), never briefly wider.
func listen(socket string, gid uint32, hasGroup bool) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(socket), 0o755); err != nil {
		return nil, fmt.Errorf("helper: %w", err)
	}
	if _, err := os.Lstat(socket); err == nil {
		c, err := net.DialTimeout("unix", socket, time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("helper: another helper already answers on %s", socket)
		}
		if err := os.Remove(socket); err != nil {
			return nil, fmt.Errorf("helper: stale socket: %w", err)
		}
	}
	old := unix.Umask(0o177)
	l, err := net.Listen("unix", socket)
	unix.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("helper: %w", err)
	}
	if hasGroup {
		if err := os.Chown(socket, 0, int(gid)); err != nil {
			l.Close()
			return nil, fmt.Errorf("helper: %w", err)
		}
		if err := os.Chmod(socket, 0o660); err != nil {
			l.Close()
			return nil, fmt.Errorf("helper: %w", err)
		}
	}
	return l, nil
}

// lookupGroup resolves a group name or numeric id.
func lookupGroup(name string) (uint32, bool) {
	if n, err := strconv.ParseUint(name, 10, 32); err == nil {
		return uint32(n), true
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(g.Gid, 10, 32)
	if err != nil {
		return 0, false
	}
	return uint32(n), true
}

// pitfallNoGroup: the installer creates the group; without it only root
// may use the helper.
func pitfallNoGroup(logf func(string, ...any), group string) {
	logf("warning: group %q does not exist: only root can use the helper (the installer creates it: groupadd --system %s)", group, group)
}

// peerUID is the caller's user, from the kernel.
func peerUID(c net.Conn) (uint32, error) {
	cred, err := peerCred(c)
	if err != nil {
		return 0, err
	}
	return cred.Uid, nil
}

// stateDirMark opens the high-water mark in dir, making dir (0700) when it
// is missing. An unreadable mark is said at once; the helper still starts
// (status and down work) and refuses every up until it is removed. A
// directory that cannot be made (a unit without StateDirectory= under
// ProtectSystem=strict) is said too, but does not stop the helper: the
// mark then holds in memory until it restarts, as when a store fails.
func stateDirMark(dir string, logf func(string, ...any)) (MarkFile, error) {
	if !filepath.IsAbs(dir) {
		return MarkFile{}, fmt.Errorf("helper: state directory %q is not an absolute path", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		logf("warning: state directory: %v: the last profile brought up is remembered only until the helper restarts (the unit needs StateDirectory=relais)", err)
	} else if fi, err := os.Stat(dir); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && (st.Uid != 0 || fi.Mode().Perm()&0o022 != 0) {
			logf("warning: state directory %s (uid %d, mode %v): someone other than root could remove the high-water mark", dir, st.Uid, fi.Mode().Perm())
		}
	}
	m := MarkFile{Path: filepath.Join(dir, MarkFileName)}
	if prev, err := m.Load(); err != nil {
		logf("%v: every up is refused until then", err)
	} else if prev.Serial > 0 {
		logf("last profile brought up on this machine: serial %d; older ones are refused", prev.Serial)
	}
	return m, nil
}
