#!/usr/bin/env bash
# archives.sh VERSION OUTDIR [LDFLAGS]: builds kubectl-access for each
# platform of dist/krew/platforms into OUTDIR/kubectl-access_VERSION_OS_ARCH.tar.gz,
# the archives dist/krew/access.yaml names (the plugin binary, and LICENSE
# when the repository has one). Run from anywhere; make plugin-release runs
# it with the build stamps.
set -euo pipefail
version=${1:?usage: archives.sh VERSION OUTDIR [LDFLAGS]}
out=${2:?usage: archives.sh VERSION OUTDIR [LDFLAGS]}
ldflags=${3:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ! $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]]; then
	echo "archives.sh: version $version: krew wants a semantic version with a leading v, such as v1.2.3" >&2
	exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
while read -r platform; do
	os=${platform%/*} arch=${platform#*/}
	exe=kubectl-access
	[[ $os == windows ]] && exe=kubectl-access.exe
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	(cd "$root" && CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$stage/$exe" ./cmd/accessctl)
	files=("$exe")
	if [[ -f $root/LICENSE ]]; then
		cp "$root/LICENSE" "$stage/"
		files+=(LICENSE)
	fi
	archive=$out/kubectl-access_${version}_${os}_${arch}.tar.gz
	tar -C "$stage" -czf "$archive" "${files[@]}"
	rm -rf "$stage"
	echo "wrote $archive"
done < "$(dirname "$0")/platforms"
