#!/bin/sh
# relais postrm (deb: "remove", "purge", "upgrade", ...; rpm: $1 = 0 erase,
# 1 upgrade).
set -e

case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload || true
	fi
	;;
purge)
	# The administrator's configuration, the bootstrap profile copy and
	# anything else under /etc/relais, the helper's state (the profile
	# high-water mark, StateDirectory=relais), then the group. When the
	# organisation's server (relais-server) is installed or only removed,
	# /etc/relais also holds its configuration and the secrets it names:
	# only the client's own files go then.
	if [ -e /etc/relais/server.toml ] || dpkg-query -W -f='${db:Status-Abbrev}' relais-server 2>/dev/null | grep -q '^[ir]'; then
		rm -f /etc/relais/relais.toml /etc/relais/relais.toml.example
	else
		rm -rf /etc/relais
	fi
	rm -rf /var/lib/relais
	if getent group relais >/dev/null; then
		if command -v delgroup >/dev/null 2>&1; then
			delgroup --system --quiet relais || true
		else
			groupdel relais || true
		fi
	fi
	;;
esac
exit 0
