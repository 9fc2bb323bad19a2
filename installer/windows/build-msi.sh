#!/bin/sh
# Builds Relais' MSI with wixl (Debian: msitools + wixl).
#   installer/windows/build-msi.sh VERSION RELAIS_EXE HELPER_EXE OUTDIR
# VERSION: x.y.z (a leading "v" and any "-suffix" are dropped: MSI versions
# are numeric). RELAIS_EXE is the app (the Start menu shortcut); HELPER_EXE
# the same program built with -tags nogui, which the RelaisHelper service
# runs (installed as relais-helper.exe). Writes OUTDIR/relais-VERSION-x64.msi
# and prints its path.
set -eu

if [ $# -ne 4 ]; then
	echo "usage: $0 VERSION RELAIS_EXE HELPER_EXE OUTDIR" >&2
	exit 2
fi
version=$1
exe=$2
helper=$3
outdir=$4
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

version=${version#v}
version=${version%%-*}
case $version in
*[!0-9.]* | "" | .* | *. | *..*)
	echo "$0: version must be numeric x.y.z, got '$1'" >&2
	exit 2
	;;
esac
[ -f "$exe" ] || { echo "$0: $exe: no such file" >&2; exit 2; }
[ -f "$helper" ] || { echo "$0: $helper: no such file" >&2; exit 2; }
command -v wixl >/dev/null || { echo "$0: wixl is not installed (apt-get install wixl msitools)" >&2; exit 2; }
objdump=${OBJDUMP:-x86_64-w64-mingw32-objdump}
command -v "$objdump" >/dev/null || { echo "$0: $objdump is not installed (apt-get install binutils-mingw-w64-x86-64)" >&2; exit 2; }

# The service runs as LocalSystem: refuse a helper that imports the window's
# DLLs (OpenGL, GDI, USER, the shell), that is the GUI build given by mistake
# instead of the -tags nogui one.
headers=$("$objdump" -p "$helper" 2>&1) || { echo "$0: $helper is not a Windows executable: $headers" >&2; exit 2; }
gui_dlls=$(printf '%s\n' "$headers" | sed -n 's/^[[:space:]]*DLL Name:[[:space:]]*//p' |
	grep -i -x -E 'opengl32\.dll|gdi32\.dll|user32\.dll|shell32\.dll' | tr '\n' ' ' | sed 's/ $//' || true)
if [ -n "$gui_dlls" ]; then
	echo "$0: $helper imports $gui_dlls: build it with -tags nogui" >&2
	exit 2
fi

mkdir -p "$outdir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# wixl reads sources relative to the current directory: stage them.
cp "$exe" "$tmp/relais.exe"
cp "$helper" "$tmp/relais-helper.exe"
cp "$here/relais.toml.template" "$tmp/relais.toml"
cp "$here/relais.wxs" "$tmp/relais.wxs"

# The shortcut's icon: assets/icon.ico when present, else made from
# assets/icon.png (an .ico may embed a PNG image, Windows Vista and later).
if [ -f "$root/assets/icon.ico" ]; then
	cp "$root/assets/icon.ico" "$tmp/relais.ico"
else
	python3 - "$root/assets/icon.png" "$tmp/relais.ico" <<'PY'
import struct, sys
png = open(sys.argv[1], "rb").read()
w, h = struct.unpack(">II", png[16:24])
dim = lambda n: 0 if n >= 256 else n
hdr = struct.pack("<HHH", 0, 1, 1)
entry = struct.pack("<BBBBHHII", dim(w), dim(h), 0, 0, 1, 32, len(png), 6 + 16)
open(sys.argv[2], "wb").write(hdr + entry + png)
PY
fi

out="$(cd "$outdir" && pwd)/relais-$version-x64.msi"
(
	cd "$tmp"
	wixl -a x64 \
		-D Version="$version" \
		-D RelaisExe=relais.exe \
		-D HelperExe=relais-helper.exe \
		-D ConfigFile=relais.toml \
		-D IconFile=relais.ico \
		-o "$out" relais.wxs
)
# The managed configuration's component: Permanent (0x10) and NeverOverwrite
# (0x80), which wixl cannot express; 0x100 is 64-bit, as wixl wrote it.
msibuild "$out" -q "UPDATE \`Component\` SET \`Attributes\` = 400 WHERE \`Component\` = 'ManagedConfig'"
echo "$out"
