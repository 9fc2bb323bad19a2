#!/bin/sh
# relais-server prerm (deb: "remove", "upgrade", ...; rpm: $1 = 0 erase,
# 1 upgrade).
set -e

case "$1" in
remove | 0)
	if command -v systemctl >/dev/null 2>&1; then
		if [ -d /run/systemd/system ]; then
			systemctl stop relais-server.service || true
		fi
		systemctl disable relais-server.service >/dev/null 2>&1 || true
	fi
	;;
esac
exit 0
