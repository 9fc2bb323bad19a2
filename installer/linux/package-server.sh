#!/bin/sh
# package-server.sh VERSION SERVER OUTDIR — build the relais-server .deb and
# .rpm: the organisation's server (relais serve), its hardened systemd unit
# and a commented example of /etc/relais/server.toml.
#
#   VERSION  e.g. 0.1.0 or 0.1.0-dev ("-" becomes "~", as in package.sh)
#   SERVER   relais built without the window (go build -tags nogui ...),
#            which links no graphics library: installed as
#            /usr/bin/relais-server, it is what relais-server.service runs
#            (relais-server serve --config /etc/relais/server.toml)
#   OUTDIR   where the packages go; their paths are printed, one a line
#
# Optional, from the environment: RELAIS_ARCH, NFPM and SOURCE_DATE_EPOCH,
# as for package.sh.
#
# Needs gzip, sed, strip and readelf (binutils); runs SERVER (relais man)
# for the manual page.
set -eu

if [ $# -ne 3 ]; then
	echo "usage: $0 VERSION SERVER OUTDIR" >&2
	exit 2
fi
version=$(printf '%s' "$1" | sed 's/^v//; s/-/~/g')
server=$2
outdir=$3
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

[ -x "$server" ] || { echo "$0: $server: not an executable" >&2; exit 1; }
# A server host has no desktop: the build without the window needs no
# OpenGL, X11 or Wayland library (nor the packages that carry them).
if readelf -d "$server" 2>/dev/null | grep NEEDED | grep -Eq 'lib(GL|EGL|X11|xcb|wayland)'; then
	echo "$0: $server links graphics libraries: build it with go build -tags nogui" >&2
	exit 1
fi
case "$version" in
[0-9]*) ;;
*) echo "$0: version $1 must start with a digit" >&2; exit 1 ;;
esac

nfpm=${NFPM:-}
if [ -z "$nfpm" ]; then
	# The nfpm that go.mod pins (a `tool` directive), never one from PATH.
	nfpm=$(cd "$repo" && go tool -n nfpm) || { echo "$0: cannot build nfpm (go tool -n nfpm)" >&2; exit 1; }
fi
[ -x "$nfpm" ] || { echo "$0: nfpm not found: $nfpm" >&2; exit 1; }
arch=${RELAIS_ARCH:-$(go env GOARCH 2>/dev/null || echo amd64)}

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

epoch=${SOURCE_DATE_EPOCH:-$(date +%s)}
{
	printf 'relais-server (%s-1) unstable; urgency=medium\n\n' "$version"
	printf '  * Release %s.\n\n' "$version"
	printf ' -- The Relais team <relais@example.org>  %s\n' "$(LC_ALL=C date -u -R -d "@$epoch")"
} | gzip -9n >"$build/changelog.Debian.gz"

# The manual page relais-server(1): relais(1) as the binary generates it
# from its own command table, under the name the package installs, with a
# first paragraph on the service. English in man1, French in fr/man1.
intro_en='relais\-server is relais built without the window, for the organisation'"'"'s server: every command below runs as \fBrelais\-server\fR \fICOMMAND\fR. The relais\-server service runs \fBrelais\-server serve \-\-config /etc/relais/server.toml\fR as the relais\-server user; its data is in /var/lib/relais\-server.'
intro_fr='relais\-server est relais construit sans fenêtre, pour le serveur de l'"'"'organisation : chaque commande ci\-dessous s'"'"'écrit \fBrelais\-server\fR \fICOMMANDE\fR. Le service relais\-server exécute \fBrelais\-server serve \-\-config /etc/relais/server.toml\fR sous l'"'"'utilisateur relais\-server ; ses données sont dans /var/lib/relais\-server.'
for lang in en fr; do
	if [ "$lang" = fr ]; then intro=$intro_fr; else intro=$intro_en; fi
	"$server" man --lang "$lang" >"$build/relais.1.$lang"
	grep -q '^\.TH RELAIS 1 ' "$build/relais.1.$lang" || { echo "$0: $server man: no .TH RELAIS 1 line" >&2; exit 1; }
	# Title and NAME, the synopsis and every command name; the intro goes
	# before the description's first paragraph.
	INTRO=$intro awk '
		/^\.\\" relais\(1\)/ { sub(/relais\(1\)/, "relais-server(1)") }
		/^\.TH RELAIS 1 / { sub(/^\.TH RELAIS 1 /, ".TH RELAIS\\-SERVER 1 ") }
		prev ~ /^\.SH / && /^relais \\- / { sub(/^relais /, "relais\\-server ") }
		/^\.B relais$/ { $0 = ".B relais\\-server" }
		{ gsub(/\\fBrelais /, "\\fBrelais\\-server ") }
		/^\.PP$/ && !done { print ".PP"; print ENVIRON["INTRO"]; done = 1 }
		{ print; prev = $0 }
	' "$build/relais.1.$lang" | gzip -9n >"$build/relais-server.1.$lang.gz"
done

# Debian ships stripped binaries (panics keep their stack traces).
strip --strip-unneeded --remove-section=.comment -o "$build/relais-server" "$server"

export RELAIS_VERSION="$version" RELAIS_ARCH="$arch" RELAIS_BUILD="$build" RELAIS_SRC="$here"
export RELAIS_SERVER_BINARY="$build/relais-server"
for packager in deb rpm; do
	(cd "$here" && "$nfpm" package --config "$here/nfpm-server.yaml" --packager "$packager" --target "$outdir") >&2
done
ls -1 "$outdir"/relais-server_"$version"-1_*.deb "$outdir"/relais-server-"$version"-1.*.rpm
