"""Calculations that several n-mers of a crystal share, computed once.

A calculation in its own basis (QCManyBody's label with the same real and basis fragments: every noCP
calculation, and the monomers of CP) has no ghost atoms, so its energy is the same for any copy of its
molecules moved rigidly, a reflection included: each monomer of a Z' = 1 crystal is one calculation, and
so is each dimer inside a trimer that is a copy of a unique dimer.  Calculations alike in their
specification (program, model, keywords, driver), charge and multiplicity are grouped by geometry as
the unique n-mers are (mbpipe/crystal/unique.py: a fingerprint, then an atom permutation and the RMSD
after the best fit, to 1e-4 Angstrom).  The first of each set in run, level and label order is computed;
the others take its energy (mbpipe/pipeline/reuse.py).  Calculations in a bigger n-mer's basis (CP) are
each n-mer's own.

Energies only: a gradient or Hessian would have to be rotated with the molecule, and a crystal run
computes energies (mbpipe/config/crystal.py refuses other drivers).  The pairs are kept in
results/<name>/shared.json, found again only when a plan changes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from mbpipe.base import layout
from mbpipe.base.jsonio import read_json, write_json_atomic

SHARED_FORMAT = 1
# A copy's energy and a fresh calculation of the moved molecules differ by the SCF's convergence, not by
# rounding: measured up to 1.4e-11 Eh for ammonia dimers and 2.1e-9 Eh for water monomers (PySCF HF/STO-3G,
# its default conv_tol 1e-9, molecules equal to 2e-9 bohr).  QCManyBody's sequential computer, which
# computes every copy afresh, is compared with such a run to this much (0.06 cal/mol), or to the config's
# `tolerance` where that is larger (programs converged more loosely).
SHARED_ENERGY_TOLERANCE = 1e-7


def shared_calculations(name: str, plans: dict) -> dict[str, str]:
    """Fragment result -> the result of the calculation it shares (both as paths relative to the working
    directory), for every calculation of crystal run *name* that another one computes.  *plans*: each
    unique n-mer's run name -> its plan (mbpipe/pipeline/plan.py, which this folder stays below)."""
    key = _key(plans)
    stored_file = layout.path(layout.SHARED_CALCULATIONS, name=name)
    if stored_file.exists():
        stored = read_json(stored_file)
        if stored.get("key") == key:
            return stored["same_as"]
    same_as = find_shared(plans)
    write_json_atomic(stored_file, {"key": key, "computed": _count_computed(plans, same_as), "same_as": same_as})
    return same_as


def find_shared(plans: dict) -> dict[str, str]:
    # QCManyBody's and QCElemental's imports: not on every reading of the workflow
    from mbpipe.base.labels import decode_label
    from mbpipe.base.units import ANGSTROM_TO_BOHR
    from mbpipe.crystal.unique import GeometrySets

    sets = GeometrySets()
    same_as = {}
    for run in sorted(plans):
        plan = plans[run]
        for level in plan.level_numbers:
            for label in plan.labels(level):
                _, real, basis = json.loads(decode_label(label))
                if real != basis:
                    continue
                calculation = read_json(layout.path(layout.FRAGMENT_INPUT, name=run, level=level, label=label))
                molecule = calculation["molecule"]
                if not all(molecule.get("real") or [True]) or calculation["specification"]["driver"] != "energy":
                    continue
                result = str(layout.path(layout.FRAGMENT_RESULT, name=run, level=level, label=label))
                symbols = tuple(molecule["symbols"])
                geometry = np.reshape(molecule["geometry"], (-1, 3)) / ANGSTROM_TO_BOHR
                computed = sets.first_alike(_alike(calculation), symbols, geometry, result)
                if computed != result:
                    same_as[result] = computed
    return same_as


def runs_taking_energies(same_as: dict[str, str]) -> set[str]:
    """The runs (unique n-mers) with a result taken from a calculation alike."""
    results = Path(layout.RESULTS.format(name=""))
    return {str(Path(result).parent.parent.parent.relative_to(results)) for result in same_as}


def _alike(calculation: dict) -> str:
    """What must be equal besides the geometry: the specification, the charge and the multiplicity (a
    crystal's molecules are neutral closed shells, mbpipe/config/crystal.py)."""
    molecule = calculation["molecule"]
    return json.dumps(
        [
            calculation["specification"],
            molecule.get("molecular_charge", 0.0),
            molecule.get("molecular_multiplicity", 1.0),
        ],
        sort_keys=True,
    )


def _count_computed(plans: dict, same_as: dict[str, str]) -> int:
    return sum(plan.nfragment_calculations for plan in plans.values()) - len(same_as)


def _key(plans: dict) -> str:
    """The plans' files: a plan is rewritten whenever its calculations change."""
    digest = hashlib.sha256(f"format {SHARED_FORMAT}".encode())
    for run in sorted(plans):
        digest.update(run.encode())
        digest.update(layout.path(layout.PLAN, name=run).read_bytes())
    return digest.hexdigest()
