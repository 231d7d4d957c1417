#!/usr/bin/env bash
# render.sh VERSION DIR: writes DIR/access.yaml, krew's manifest for the
# release VERSION: dist/krew/access.yaml with ${VERSION} and each
# ${SHA256_OS_ARCH} filled from the archives in DIR (archives.sh builds
# them). Every placeholder must be filled, or it fails.
set -euo pipefail
version=${1:?usage: render.sh VERSION DIR}
dir=${2:?usage: render.sh VERSION DIR}
here=$(cd "$(dirname "$0")" && pwd)
if [[ ! $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]]; then
	echo "render.sh: version $version: krew wants a semantic version with a leading v, such as v1.2.3" >&2
	exit 2
fi
sha256() {
	if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}
manifest=$(sed "s/\${VERSION}/$version/g" "$here/access.yaml")
while read -r platform; do
	os=${platform%/*} arch=${platform#*/}
	archive=$dir/kubectl-access_${version}_${os}_${arch}.tar.gz
	if [[ ! -f $archive ]]; then
		echo "render.sh: no $archive (run archives.sh $version $dir first)" >&2
		exit 1
	fi
	key=SHA256_$(echo "${os}_${arch}" | tr '[:lower:]' '[:upper:]')
	manifest=$(sed "s/\${$key}/$(sha256 "$archive")/g" <<<"$manifest")
done < "$here/platforms"
if grep -n '\${' <<<"$manifest" >&2; then
	echo "render.sh: placeholders left unfilled (above)" >&2
	exit 1
fi
printf '%s\n' "$manifest" > "$dir/access.yaml"
echo "wrote $dir/access.yaml"
