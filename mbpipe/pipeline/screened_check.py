"""Checking a screened result where QCManyBody's sequential computer cannot: it knows no screening, so
its result would be the unscreened expansion.  Instead every interaction energy through n bodies is
compared with the sum of the kept n-mers' increments, formed here from the fragment energies by plain
inclusion-exclusion, apart from the stand-ins through which QCManyBody assembled it (screening.py).
"""

from __future__ import annotations

import itertools
import math

from qcmanybody.utils import labeler

from mbpipe.pipeline import screening
from mbpipe.pipeline.plan import manybody_computer
from mbpipe.pipeline.verify import max_abs_difference

METHOD = "kept-increment sums"


def kept_increment_sums(mbin, fragment_results: dict, distance_cutoffs: dict) -> dict[str, float]:
    """``<bsse>_corrected_interaction_energy_through_<n>_body`` -> the sum over the kept n-mers of 2 to n
    bodies of their increments, each at the model chemistry of its order and in the basis *bsse* uses
    (the sub-cluster's own for nocp, the whole cluster's for cp, the n-mer's for vmfc), for every BSSE
    treatment QCManyBody reports and n up to max_nbody.  *fragment_results*: label -> AtomicResult."""
    core = manybody_computer(mbin).qcmb_core
    screen = screening.screen(core.molecule, distance_cutoffs, core.max_nbody)
    everything = tuple(range(1, core.nfragments + 1))
    model_chemistry = {n: mc for mc, ns in core.nbodies_per_mc_level.items() for n in ns if n != "supersystem"}
    bases = {"nocp": lambda sub, nmer: sub, "cp": lambda sub, nmer: everything, "vmfc": lambda sub, nmer: nmer}

    def energy(mc, real, basis) -> float:
        return fragment_results[labeler(mc, real, basis)].properties.return_energy

    sums = {}
    for bsse in (b.value for b in core.bsse_type):
        basis = bases[bsse]
        increments = []
        for order in range(2, core.max_nbody + 1):
            mc = model_chemistry[order]
            for nmer in sorted(screen.kept[order]):
                increments.append(
                    math.fsum(
                        (-1) ** (order - size) * energy(mc, sub, basis(sub, nmer))
                        for size in range(1, order + 1)
                        for sub in itertools.combinations(nmer, size)
                    )
                )
            sums[f"{bsse}_corrected_interaction_energy_through_{order}_body"] = math.fsum(increments)
    return sums


def check(pipeline, expected: dict[str, float], tolerance: float, screened_calculations: int) -> dict:
    """The verification of the screened result *pipeline* against *expected* (`kept_increment_sums`),
    in the form of `verify.compare`, saying what replaced the sequential comparison and what is left
    unchecked."""
    ours = pipeline.properties.model_dump()
    deltas = {name: max_abs_difference(ours.get(name), value) for name, value in expected.items()}
    worst = max(deltas.values())
    unchecked = ["gradients and Hessians (assembled with the same stand-ins as the energies)"]
    if "supersystem" in (pipeline.input_data.specification.keywords.levels or {}):
        unchecked.append("the supersystem's contribution")
    return {
        "method": METHOD,
        "sequential_comparison": (
            f"replaced: the distance cutoffs left out {screened_calculations} of QCManyBody's calculations, and "
            "QCManyBody's sequential computer knows no screening"
        ),
        "tolerance": tolerance,
        "passed": worst <= tolerance,
        "max_abs_difference": worst,
        "properties": deltas,
        "not_checked": unchecked,
    }
