#!/bin/sh
# relais-server postrm (deb: "remove", "purge", "upgrade", ...; rpm:
# $1 = 0 erase, 1 upgrade).
set -e

case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload || true
	fi
	;;
purge)
	# dpkg removes the conffile /etc/relais/server.toml itself. The data
	# (the SQLite database in the state directory), then the user and its
	# group. The secrets the admin put in /etc/relais stay: they may be the
	# relais package's too.
	rm -rf /var/lib/relais-server /var/lib/private/relais-server
	if getent passwd relais-server >/dev/null; then
		if command -v deluser >/dev/null 2>&1; then
			deluser --system --quiet relais-server || true
		else
			userdel relais-server || true
		fi
	fi
	if getent group relais-server >/dev/null; then
		if command -v delgroup >/dev/null 2>&1; then
			delgroup --system --quiet relais-server || true
		else
			groupdel relais-server || true
		fi
	fi
	;;
esac
exit 0
