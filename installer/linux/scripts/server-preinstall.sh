#!/bin/sh
# relais-server preinst (deb: "install", "upgrade"; rpm: $1 = 1 install,
# 2 upgrade). The system user and group exist before the package's files
# are unpacked: /etc/relais/server.toml belongs to group relais-server.
set -e

case "$1" in
install | upgrade | 1 | 2)
	if ! getent passwd relais-server >/dev/null; then
		if command -v adduser >/dev/null 2>&1; then
			adduser --system --group --quiet --no-create-home \
				--home /var/lib/relais-server --shell /usr/sbin/nologin \
				--gecos "Relais server" relais-server
		else
			getent group relais-server >/dev/null || groupadd --system relais-server
			useradd --system --gid relais-server --no-create-home \
				--home-dir /var/lib/relais-server --shell /usr/sbin/nologin \
				--comment "Relais server" relais-server
		fi
	fi
	;;
esac
exit 0
