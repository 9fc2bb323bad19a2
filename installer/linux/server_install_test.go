package linux_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"relais/internal/testenv"
)

// The relais-server .deb installs into a minimal Debian without systemd
// running: files, owners and modes, the system user and group, the
// conffile; the installed server, run as systemd would run it (as
// relais-server, its state directory made for it, umask 077), reads the
// shipped configuration that others may not read and answers /healthz;
// dpkg -r keeps only the configuration and the user; dpkg -P leaves the
// system as it was.
func TestServerInstallRemovePurge(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedTools(t, "debootstrap", "unshare", "chroot", "cp")
	b := serverPackages(t)
	root := debianRoot(t)
	before := tree(t, root)
	accounts := map[string][]byte{}
	for _, f := range []string{"etc/passwd", "etc/group", "etc/shadow", "etc/gshadow"} {
		accounts[f], _ = os.ReadFile(filepath.Join(root, f))
	}

	copyFile(t, b.deb, filepath.Join(root, "tmp/relais-server.deb"))
	out := mustChroot(t, root, "dpkg -i /tmp/relais-server.deb")
	t.Logf("dpkg -i:\n%s", out)
	for path, want := range serverShipped {
		got, err := chroot(root, "stat -c '%U:%G %a' "+path)
		if err != nil || strings.TrimSpace(got) != want {
			t.Errorf("installed %s: %q (%v), want %q", path, strings.TrimSpace(got), err, want)
		}
	}
	// A system user, no login, its home the state directory systemd makes.
	pw := strings.Split(strings.TrimSpace(mustChroot(t, root, "getent passwd relais-server")), ":")
	if len(pw) != 7 || pw[5] != "/var/lib/relais-server" || pw[6] != "/usr/sbin/nologin" {
		t.Errorf("getent passwd relais-server: %q", pw)
	} else if uid, _ := strconv.Atoi(pw[2]); uid == 0 || uid >= 1000 {
		t.Errorf("relais-server has uid %d, want a system uid", uid)
	}
	if gr := mustChroot(t, root, "getent group relais-server"); !strings.HasPrefix(gr, "relais-server:x:"+pw[3]+":") {
		t.Errorf("getent group relais-server: %q, want gid %s", gr, pw[3])
	}
	if _, err := os.Lstat(filepath.Join(root, "var/lib/relais-server")); err == nil {
		t.Error("the package made /var/lib/relais-server: systemd's StateDirectory= does")
	}
	if conf := mustChroot(t, root, "dpkg-query -W -f='${Conffiles}' relais-server"); !strings.Contains(conf, "/etc/relais/server.toml ") {
		t.Errorf("dpkg-query Conffiles: %q", conf)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/multi-user.target.wants/relais-server.service")); err == nil {
		t.Error("without systemctl, the package still enabled the server")
	}
	if out := mustChroot(t, root, "/usr/bin/relais-server version"); !strings.Contains(out, version) {
		t.Errorf("relais-server version in the root: %q", out)
	}
	// Anyone but root and the service's group is kept out of server.toml.
	if out, err := chroot(root, "setpriv --reuid nobody --regid nogroup --clear-groups cat /etc/relais/server.toml"); err == nil {
		t.Errorf("nobody reads server.toml:\n%.200s", out)
	}

	// The service as the unit runs it: its user and group, the state
	// directory systemd would make, $STATE_DIRECTORY, umask 0077, no
	// capability; the shipped configuration, only the port changed.
	mustChroot(t, root, "install -d -o relais-server -g relais-server -m 0700 /var/lib/relais-server")
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "chroot", root, "/bin/sh", "-c",
		"mount -t proc proc /proc && umask 0077 && exec setpriv --reuid relais-server --regid relais-server --init-groups --inh-caps=-all --bounding-set=-all "+
			"/usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 STATE_DIRECTORY=/var/lib/relais-server "+
			"/usr/bin/relais-server serve --config /etc/relais/server.toml --listen 127.0.0.1:0")
	base := startServer(t, cmd)
	getOK(t, base+"/healthz", `"ok"`)
	stopServer(t, cmd)
	if st := strings.TrimSpace(mustChroot(t, root, "stat -c '%U:%G %a' /var/lib/relais-server/relais-server.db")); st != "relais-server:relais-server 600" {
		t.Errorf("the SQLite database: %s, want relais-server:relais-server 600", st)
	}

	// Remove: the program goes; the configuration, the data and the user stay.
	mustChroot(t, root, "dpkg -r relais-server")
	for _, gone := range []string{"usr/bin/relais-server", "lib/systemd/system/relais-server.service", "usr/share/man/man1/relais-server.1.gz", "usr/share/doc/relais-server"} {
		if _, err := os.Lstat(filepath.Join(root, gone)); err == nil {
			t.Errorf("after dpkg -r, /%s is still there", gone)
		}
	}
	for _, kept := range []string{"etc/relais/server.toml", "var/lib/relais-server/relais-server.db"} {
		if _, err := os.Stat(filepath.Join(root, kept)); err != nil {
			t.Errorf("after dpkg -r: %v", err)
		}
	}
	if _, err := chroot(root, "getent passwd relais-server"); err != nil {
		t.Error("after dpkg -r, the relais-server user is gone")
	}
	if out := mustChroot(t, root, "dpkg-query -W -f='${db:Status-Abbrev}' relais-server"); strings.TrimSpace(out) != "rc" {
		t.Errorf("after dpkg -r, status %q, want rc", out)
	}

	// Purge: the configuration, the data, the user and the group.
	mustChroot(t, root, "dpkg -P relais-server")
	for f, was := range accounts {
		if now, _ := os.ReadFile(filepath.Join(root, f)); !bytes.Equal(now, was) {
			t.Errorf("/%s changed:\n%s\nwas:\n%s", f, now, was)
		}
	}
	os.Remove(filepath.Join(root, "tmp/relais-server.deb"))
	after := tree(t, root)
	// The shadow tools' backups, beside those tree already leaves out.
	for _, p := range []string{"/etc/passwd-", "/etc/shadow-"} {
		delete(before, p)
		delete(after, p)
	}
	for p, m := range after {
		if before[p] == "" {
			t.Errorf("left after purge: %s %s", m, p)
		} else if before[p] != m {
			t.Errorf("changed after purge: %s: %s, was %s", p, m, before[p])
		}
	}
	for p := range before {
		if after[p] == "" {
			t.Errorf("removed by install and purge: %s", p)
		}
	}
}

// The client and the server on one machine (a continuity team's own
// laptop, a test box): purging the client leaves the server's
// configuration and the secrets it names in /etc/relais alone.
func TestPurgeClientKeepsTheServersConfiguration(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedTools(t, "debootstrap", "unshare", "chroot", "cp")
	client, server := packages(t), serverPackages(t)
	root := debianRoot(t)
	copyFile(t, client.deb, filepath.Join(root, "tmp/relais.deb"))
	copyFile(t, server.deb, filepath.Join(root, "tmp/relais-server.deb"))
	defer func() {
		chroot(root, "dpkg -P relais relais-server; rm -rf /etc/relais /var/lib/relais-server")
		os.Remove(filepath.Join(root, "tmp/relais.deb"))
		os.Remove(filepath.Join(root, "tmp/relais-server.deb"))
	}()
	mustChroot(t, root, "dpkg -i /tmp/relais-server.deb /tmp/relais.deb")
	mustChroot(t, root, "umask 077 && echo 0123456789abcdef0123 >/etc/relais/submit.token")

	mustChroot(t, root, "dpkg -P relais")
	for _, kept := range []string{"etc/relais/server.toml", "etc/relais/submit.token"} {
		if _, err := os.Stat(filepath.Join(root, kept)); err != nil {
			t.Errorf("purging the client removed the server's /%s: %v", kept, err)
		}
	}
	for _, gone := range []string{"etc/relais/relais.toml", "etc/relais/relais.toml.example"} {
		if _, err := os.Lstat(filepath.Join(root, gone)); err == nil {
			t.Errorf("after purging the client, /%s is still there", gone)
		}
	}
}
