"""A crystal config (`crystal: a.cif`): one many-body expansion per unique n-mer, in one graph.

Each unique n-mer of the crystal (mbpipe/crystal/) is a geometry of a many-geometry run: its own
folder results/<name>/<order>mer-<k>/, its own plan, levels and verification, with `max_nbody` its
order, so that its last contribution is its non-additive n-body energy.  The lattice energy sums
them (mbpipe/crystal/lattice.py).
"""

from __future__ import annotations

from typing import Any

from mbpipe.config.errors import ConfigError
from mbpipe.crystal.errors import CrystalError

CRYSTAL_KEYS = ("crystal", "crystal_cutoffs", "crystal_com_cutoffs")
# What a crystal config cannot take, and why.
_REFUSED = {
    "molecule": "`crystal` takes the place of `molecule`; give one of them",
    "molecules": "several crystals in one run are not supported; give one CIF per config",
    "frames": "`frames` selects geometries of an XYZ file; a crystal's n-mers come from `crystal_cutoffs`",
    "frame": "`frame` selects a geometry of an XYZ file; a crystal's n-mers come from `crystal_cutoffs`",
    "fragmentation": "a crystal's fragments are its molecules, found by connectivity; drop `fragmentation`",
    "fragment_charges": "a crystal's molecules are taken as neutral; drop `fragment_charges`",
    "fragment_multiplicities": "a crystal's molecules are taken as closed-shell; drop `fragment_multiplicities`",
    "distance_cutoffs": "`crystal_cutoffs` already choose the n-mers; drop `distance_cutoffs` (screening)",
}


def is_crystal(config: dict[str, Any]) -> bool:
    return "crystal" in config


def crystal_orders(config: dict[str, Any]) -> dict[int, float]:
    """n-mer order -> closest-atom cutoff (Angstrom), for the orders up to `max_nbody`."""
    cutoffs = {int(k): float(v) for k, v in config["crystal_cutoffs"].items()}
    top = config.get("max_nbody", max(cutoffs))
    return {order: cutoff for order, cutoff in cutoffs.items() if order <= top}


def check_crystal_config(config: dict[str, Any]) -> None:
    """Refuse what a crystal config cannot do, each with its fix, before the CIF is read."""
    problems = [f"`{key}` with `crystal`: {why}" for key, why in _REFUSED.items() if config.get(key) not in (None, {})]
    if "crystal_cutoffs" not in config:
        problems.append("`crystal` needs `crystal_cutoffs`: n-mer order -> Angstrom, e.g. {2: 9.0, 3: 6.0}")
    else:
        cutoffs = {int(k): v for k, v in config["crystal_cutoffs"].items()}
        if min(cutoffs) < 2:
            problems.append("`crystal_cutoffs` keys are n-mer orders 2, 3, ...; a monomer has no cutoff")
        top = config.get("max_nbody", max(cutoffs))
        missing = [order for order in range(2, top + 1) if order not in cutoffs]
        if missing:
            problems.append(
                f"`crystal_cutoffs` has no cutoff for order {missing[0]} (`max_nbody` is {top}); give one for every "
                f"order from 2 to {top}"
            )
        extra = sorted(set(config.get("crystal_com_cutoffs", {})) - {str(k) for k in cutoffs})
        if extra:
            problems.append(f"`crystal_com_cutoffs` names order {extra[0]}, which `crystal_cutoffs` does not")
    if config.get("driver", "energy") != "energy":
        problems.append("a lattice energy is an energy: `driver` must be energy with `crystal`")
    if "supersystem" in config.get("levels", {}):
        problems.append("`levels: supersystem` with `crystal`: each n-mer's expansion is complete; drop it")
    if problems:
        raise ConfigError(problems)


def crystal_nmers(config: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(folder name, molecule file, description) of each unique n-mer of the config's crystal: the
    geometries of its many-geometry run."""
    from mbpipe.crystal.catalogue import ensure_catalogue

    check_crystal_config(config)
    com_cutoffs = {int(k): float(v) for k, v in config.get("crystal_com_cutoffs", {}).items()}
    try:
        catalogue = ensure_catalogue(config["name"], config["crystal"], crystal_orders(config), com_cutoffs)
    except CrystalError as err:
        raise ConfigError(err.problems) from None
    if not catalogue.nmers:
        raise ConfigError(
            [f"`crystal_cutoffs` {config['crystal_cutoffs']} find no n-mer around the reference molecules of "
             f"{config['crystal']}; raise the cutoffs (closest-atom distances, Angstrom)"]
        )  # fmt: skip
    return [
        (entry.nmer, entry.molecule, f"{entry.order}-mer, {sum(entry.replicas.values())} replicas")
        for entry in catalogue.nmers
    ]


def nmer_config(config: dict[str, Any], geometry) -> dict[str, Any]:
    """The config of one unique n-mer's run: the crystal config's settings, the n-mer's molecule, and
    its order as `max_nbody` (`levels` up to it)."""
    single = {key: value for key, value in config.items() if key not in CRYSTAL_KEYS}
    order = int(geometry.name.split("mer-")[0])
    single.update(name=f"{config['name']}/{geometry.name}", molecule=geometry.molecule, max_nbody=order)
    if "levels" in config:
        single["levels"] = levels_up_to(config["levels"], order)
    return single


def levels_up_to(levels: dict[str, str], order: int) -> dict[str, str]:
    """QCManyBody's `levels` (a model chemistry covers the levels up to its key from the key below) for
    an expansion that stops at *order*: the same model chemistry at every level up to it."""
    keys = sorted(int(k) for k in levels)
    covering = next((k for k in keys if k >= order), keys[-1])
    kept = {str(k): levels[str(k)] for k in keys if k < order}
    kept[str(order)] = levels[str(covering)]
    return kept
