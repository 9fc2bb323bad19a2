#!/bin/sh
# relais-server postinst (deb: "configure"; rpm: $1 = 1 install, 2 upgrade).
set -e

case "$1" in
configure | 1 | 2)
	# Enable the server (symlinks only, works offline in an image build);
	# start or restart it only on a running systemd. As shipped it listens
	# on 127.0.0.1:8443 only.
	if command -v systemctl >/dev/null 2>&1; then
		if [ -d /run/systemd/system ]; then
			systemctl daemon-reload || true
		fi
		systemctl enable relais-server.service >/dev/null 2>&1 || true
		if [ -d /run/systemd/system ]; then
			systemctl restart relais-server.service || true
		fi
	fi
	;;
esac
exit 0
