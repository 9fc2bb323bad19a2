#!/bin/sh
# package.sh VERSION BINARY OUTDIR — build the relais .deb and .rpm.
#
#   VERSION  e.g. 0.1.0 or 0.1.0-dev ("-" becomes "~", which sorts before
#            the release in dpkg and rpm)
#   BINARY   the relais binary (go build -trimpath ...)
#   OUTDIR   where the packages go; their paths are printed, one a line
#
# Optional, from the environment:
#   RELAIS_MANAGED_CONFIG  the organisation's relais.toml, installed as
#                          /etc/relais/relais.toml (a conffile); without it
#                          only the commented template relais.toml.example
#   RELAIS_PROFILE         a signed bootstrap profile, installed as
#                          /usr/share/relais/profile.toml with its
#                          RELAIS_PROFILE.minisig next to it
#   RELAIS_ARCH            Go architecture (default: go env GOARCH, else amd64)
#   NFPM                   the nfpm program (default: the version go.mod pins,
#                          built by `go tool -n nfpm`)
#   SOURCE_DATE_EPOCH      the date of the changelog and metainfo release
#
# Needs ImageMagick's convert (the hicolor icons), gzip and strip (binutils).
set -eu

if [ $# -ne 3 ]; then
	echo "usage: $0 VERSION BINARY OUTDIR" >&2
	exit 2
fi
version=$(printf '%s' "$1" | sed 's/^v//; s/-/~/g')
binary=$2
outdir=$3
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

[ -x "$binary" ] || { echo "$0: $binary: not an executable" >&2; exit 1; }
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
# Icons: the hicolor sizes, from the 256×256 application icon.
for size in 16 32 48 64 128 256; do
	mkdir -p "$build/icons/$size"
	convert "$repo/assets/icon.png" -resize "${size}x${size}!" -strip \
		"PNG32:$build/icons/$size/org.relais.Relais.png"
done
# The Debian changelog of this version, and the metainfo's release.
{
	printf 'relais (%s-1) unstable; urgency=medium\n\n' "$version"
	printf '  * Release %s.\n\n' "$version"
	printf ' -- The Relais team <relais@example.org>  %s\n' "$(LC_ALL=C date -u -R -d "@$epoch")"
} | gzip -9n >"$build/changelog.Debian.gz"
sed "s|<release version=\"[^\"]*\" date=\"[^\"]*\"/>|<release version=\"$version\" date=\"$(date -u -d "@$epoch" +%Y-%m-%d)\"/>|" \
	"$here/org.relais.Relais.metainfo.xml" >"$build/org.relais.Relais.metainfo.xml"

cp "$here/nfpm.yaml" "$build/nfpm.yaml"
if [ -n "${RELAIS_MANAGED_CONFIG:-}" ]; then
	cp "$RELAIS_MANAGED_CONFIG" "$build/relais.toml"
	cat >>"$build/nfpm.yaml" <<EOT
  - src: $build/relais.toml
    dst: /etc/relais/relais.toml
    type: config|noreplace
    file_info: {mode: 0644}
EOT
fi
if [ -n "${RELAIS_PROFILE:-}" ]; then
	[ -f "$RELAIS_PROFILE.minisig" ] || { echo "$0: $RELAIS_PROFILE.minisig is missing" >&2; exit 1; }
	mkdir -p "$build/profile"
	cp "$RELAIS_PROFILE" "$build/profile/profile.toml"
	cp "$RELAIS_PROFILE.minisig" "$build/profile/profile.toml.minisig"
	cat >>"$build/nfpm.yaml" <<EOT
  - src: $build/profile/profile.toml
    dst: /usr/share/relais/profile.toml
    file_info: {mode: 0644}
  - src: $build/profile/profile.toml.minisig
    dst: /usr/share/relais/profile.toml.minisig
    file_info: {mode: 0644}
EOT
fi

# Debian ships stripped binaries (the Go symbol table only serves
# debuggers; panics keep their stack traces).
strip --strip-unneeded --remove-section=.comment -o "$build/relais" "$binary"

export RELAIS_VERSION="$version" RELAIS_ARCH="$arch" RELAIS_BUILD="$build" RELAIS_SRC="$here"
export RELAIS_BINARY="$build/relais"
for packager in deb rpm; do
	(cd "$here" && "$nfpm" package --config "$build/nfpm.yaml" --packager "$packager" --target "$outdir") >&2
done
ls -1 "$outdir"/relais_"$version"-1_*.deb "$outdir"/relais-"$version"-1.*.rpm
