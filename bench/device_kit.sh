#!/bin/bash
# bench/device_kit.sh [DIR]: gather, on a Debian 12 machine with network (this checkout's .venv set
# up), what bench/device_figures.py needs on the 16-core GPU machine, which has Python 3.12 and no
# network, in parts that one call there can carry (at most 60 MiB each, with the checkout beside it):
#
#   DIR/nwchem   NWChem 7.0.2 relocated (../shared/bench-machine/prepare.sh) and the wheels of the
#                packages of .venv that the machine's image lacks (Snakemake, QCEngine, ...)
#   DIR/pyscf    PySCF
#   DIR/gpu-K    gpu4pyscf (CUDA 13) and its libxc, and pyscf-dispersion, cut into pieces
#                (gpu4pyscf's geomeTRIC, for geometry optimisations only, is left out)
#
# DIR defaults to .device-kit (ignored by git). There, each call carries one part and sources
# bench/device_env.sh, which adds it to what the calls before brought (kept while the machine stays
# warm) and installs what is complete; docs/performance.md ("Device figures") gives the calls.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
kit=${1:-$repo/.device-kit}
part_mib=60
shared=$repo/../shared/bench-machine
[ -x "$shared/prepare.sh" ] || { echo "no $shared/prepare.sh: NWChem's relocation recipe lives there" >&2; exit 1; }
[ -x "$repo/.venv/bin/python" ] || { echo "no .venv: run scripts/setup first" >&2; exit 1; }

download() {  # download DIR NAME==VERSION...: cp312 wheels for the machine, none of their dependencies
    local dir=$1
    shift
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d "$dir" "$@" 2> >(grep -v "^WARNING: Location" >&2)
}

normalized() { tr 'A-Z_.' 'a-z--'; }

rm -rf "$kit"
mkdir -p "$kit/pyscf" "$kit/gpu"
"$shared/prepare.sh" "$kit/nwchem" >/dev/null 2> >(grep -v "^WARNING: Location" >&2)

# The rest of .venv, in the versions tested here, except: what the machine's image has and is too
# large to carry (NumPy, SciPy, pandas, Matplotlib and theirs), what prepare.sh already took (one
# version of each, or the install stops), the tools of the tests, the cluster executor (Snakemake
# would load it), PuLP (16 MB; only Snakemake's ILP scheduler imports it, and the workflow's profile
# chooses the greedy one), and PySCF with its dispersion (the parts after).
image_has="numpy scipy pandas matplotlib contourpy kiwisolver fonttools pillow cycler pyparsing python-dateutil
    h5py networkx psutil pyyaml py-cpuinfo jinja2 markupsafe requests urllib3 idna certifi charset-normalizer
    packaging tzdata threadpoolctl attrs setuptools pip"
skipped="$image_has mbpipe ruff pytest pluggy iniconfig snakemake-executor-plugin-cluster-generic pulp pyscf
    pyscf-dispersion"
taken=$(ls "$kit/nwchem/whl" | sed 's/-[0-9].*//' | normalized)
wanted=()
while IFS== read -r name version; do
    key=$(echo "$name" | normalized)
    if ! grep -qxF "$key" <(echo "$skipped $taken" | tr ' ' '\n' | normalized); then
        wanted+=("$name==$version")
    fi
done < <("$repo/.venv/bin/python" -m pip list --format=freeze 2>/dev/null | sed 's/==/=/')
for wheel in "${wanted[@]}"; do  # a package published as source only is built here (pure Python)
    download "$kit/nwchem/whl" "$wheel" 2>/dev/null ||
        python3 -m pip wheel -q --no-deps --no-binary=:all: -w "$kit/nwchem/whl" "$wheel" 2>/dev/null
done

venv_version() { "$repo/.venv/bin/python" -m pip list --format=freeze 2>/dev/null | grep -iE "^$1=="; }
download "$kit/pyscf" "$(venv_version pyscf)"
download "$kit/gpu" "$(venv_version pyscf-dispersion)" gpu4pyscf-cuda13x==1.9.0 gpu4pyscf-libxc-cuda13x==0.9.0
(cd "$kit/gpu" && tar -cf - *.whl | split -b "$((part_mib - 2))M" -d -a 1 - gpu.tar.) && rm "$kit"/gpu/*.whl
pieces=$(ls "$kit"/gpu/gpu.tar.* | wc -l)
for piece in "$kit"/gpu/gpu.tar.*; do
    k=$((${piece##*.} + 1))
    mkdir "$kit/gpu-$k" && mv "$piece" "$kit/gpu-$k/gpu.tar.$k-of-$pieces"
done
rmdir "$kit/gpu"
for part in "$kit"/*/; do
    size=$(du -sm "$part" | cut -f1)
    [ "$size" -le "$part_mib" ] || { echo "$part is $size MiB, more than one call carries" >&2; exit 1; }
done
du -sh "$kit"/*
