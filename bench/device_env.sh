# source bench/device_env.sh: on the 16-core GPU machine (no network), in every call, before
# bench/device_figures.py. Adds the kit's parts this call carried (.device-kit/PART, made here by
# bench/device_kit.sh) to those earlier calls brought, which stay in $DEVICE_KIT while the machine is
# warm; installs each part once it is complete (NWChem into a private prefix, the wheels into
# $PYSITE); and sets PATH and PYTHONPATH for them and for this checkout.
_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DEVICE_KIT=${DEVICE_KIT:-/tmp/device-kit} PYSITE=${PYSITE:-/tmp/site} PYTHONUNBUFFERED=1
mkdir -p "$DEVICE_KIT"
for _part in "$_repo"/.device-kit/*/; do
    [ -d "$_part" ] && cp -rn "$_part" "$DEVICE_KIT/"
done
_install() { python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$PYSITE" "$@"; }
if [ -d "$DEVICE_KIT/nwchem" ]; then
    source "$DEVICE_KIT/nwchem/nwchem-env.sh" || echo "device_env: NWChem and the Python packages did not install" >&2
fi
if [ -d "$DEVICE_KIT/pyscf" ] && [ ! -d "$PYSITE/pyscf" ]; then
    _install "$DEVICE_KIT"/pyscf/*.whl || echo "device_env: PySCF did not install" >&2
fi
_pieces=$(ls "$DEVICE_KIT"/gpu-*/gpu.tar.* 2>/dev/null | sed -n '1s/.*-of-//p')
if [ -n "$_pieces" ] && [ ! -d "$PYSITE/gpu4pyscf" ]; then
    if [ "$(ls "$DEVICE_KIT"/gpu-*/gpu.tar.* | wc -l)" != "$_pieces" ]; then
        echo "device_env: $(ls "$DEVICE_KIT"/gpu-*/gpu.tar.* | wc -l) of gpu4pyscf's $_pieces pieces are here" >&2
    elif [ ! -d "$DEVICE_KIT/pyscf" ]; then
        echo "device_env: gpu4pyscf needs the pyscf part, which this machine does not have" >&2
    else
        # With PySCF's wheel in the same install: pyscf-dispersion's files go into pyscf's folder, which
        # an install of its own into the target would replace.
        mkdir -p "$DEVICE_KIT/gpu" &&
            for _k in $(seq "$_pieces"); do cat "$DEVICE_KIT/gpu-$_k/gpu.tar.$_k-of-$_pieces"; done |
            tar -xf - -C "$DEVICE_KIT/gpu" &&
            _install "$DEVICE_KIT"/pyscf/*.whl "$DEVICE_KIT"/gpu/*.whl || echo "device_env: gpu4pyscf did not install" >&2
    fi
fi
# Byte-compiled once here (the wheels were installed without), and matplotlib's font list built: else
# the first benchmark pays them (2-3 s on the first run of a fresh machine).
[ -d "$PYSITE" ] && python3 -m compileall -q -j 0 "$PYSITE" >/dev/null
python3 -c "import matplotlib.font_manager" 2>/dev/null
case ":${PYTHONPATH:-}:" in *":$PYSITE:"*) ;; *) export PYTHONPATH="$PYSITE${PYTHONPATH:+:$PYTHONPATH}" ;; esac
export PYTHONPATH="$_repo:$PYTHONPATH"
unset _repo _part _pieces _k
unset -f _install
