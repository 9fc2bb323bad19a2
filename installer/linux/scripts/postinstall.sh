#!/bin/sh
# relais postinst (deb: "configure"; rpm: $1 = 1 install, 2 upgrade).
set -e

case "$1" in
configure | 1 | 2)
	# Members of this group may ask the helper for the tunnel.
	if ! getent group relais >/dev/null; then
		if command -v addgroup >/dev/null 2>&1; then
			addgroup --system --quiet relais
		else
			groupadd --system relais
		fi
	fi
	# Enable the helper (symlinks only, works offline in an image build);
	# start or restart it only on a running systemd.
	if command -v systemctl >/dev/null 2>&1; then
		if [ -d /run/systemd/system ]; then
			systemctl daemon-reload || true
		fi
		systemctl enable relais-helper.service >/dev/null 2>&1 || true
		if [ -d /run/systemd/system ]; then
			systemctl restart relais-helper.service || true
		fi
	fi
	;;
esac
exit 0
