#!/bin/sh
# deb.sh: make deb.  Builds aliasd's Debian package with
# dpkg-buildpackage -us -uc -b in a copy of the tree under $B/deb (the
# work tree, its debian/ and the other build directories are never
# touched), without running the tests, and leaves
# aliasd_VERSION_ARCH.deb in $B.  Prints the path of the .deb.
#
# usage: B=BUILD_DIR tools/deb.sh   (B relative to the top or absolute)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
case ${B:-build} in
/*) out=${B} ;;
*) out=$top/${B:-build} ;;
esac

missing=""
command -v dpkg-buildpackage >/dev/null 2>&1 || missing="$missing dpkg-dev"
command -v dh >/dev/null 2>&1 || missing="$missing debhelper"
if [ -n "$missing" ]; then
	echo "deb: missing packages; as root run: apt-get install$missing" >&2
	exit 1
fi

# The package's version is the program's.
version=$(sed -n 's/^#define ALIASD_VERSION "\(.*\)"$/\1/p' \
    "$top/common/version.h")
changelog=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version) ||
	exit 1
if [ "$version" != "$changelog" ]; then
	echo "deb: common/version.h says $version, debian/changelog $changelog: add a changelog entry (dch -v $version)" >&2
	exit 1
fi
arch=$(dpkg --print-architecture) || exit 1

work=$out/deb
src=$work/aliasd-$version
rm -rf "$work"
mkdir -p "$src" || exit 1
# Everything but build output, caches and git's own files.
(cd "$top" && tar -cf - --exclude=./.git --exclude='./build' \
    --exclude='./build-*' --exclude=./tests/.cache \
    --exclude=./bench/results.tmp .) | tar -C "$src" -xf - || exit 1

log=$work/build.log
echo "deb: building aliasd $version in $src (log: $log)"
if ! (cd "$src" &&
    DEB_BUILD_OPTIONS="nocheck parallel=$(nproc 2>/dev/null || echo 1)" \
    dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "deb: dpkg-buildpackage failed (log: $log)" >&2
	exit 1
fi
deb=aliasd_${version}_$arch.deb
mv "$work/$deb" "$out/$deb" || exit 1
echo "$out/$deb"
