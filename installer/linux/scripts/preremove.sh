#!/bin/sh
# relais prerm (deb: "remove", "upgrade", ...; rpm: $1 = 0 erase, 1 upgrade).
set -e

case "$1" in
remove | 0)
	# Stop and disable the helper: its tunnel goes down with it.
	if command -v systemctl >/dev/null 2>&1; then
		if [ -d /run/systemd/system ]; then
			systemctl stop relais-helper.service || true
		fi
		systemctl disable relais-helper.service >/dev/null 2>&1 || true
	fi
	;;
esac
exit 0
