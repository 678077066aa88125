"""What mbpipe reads of QCManyBody's ManyBodyCore, and the two places it goes past QCManyBody's
public surface.

QCManyBody plans every calculation of an expansion (`compute_map`, `iterate_molecules`) but offers no
way to plan part of one: a screened expansion needs only the kept n-mers' calculations, and a large
plan is written by several processes, each its share.  `restrict_to` narrows the core's own compute
lists (the cache `compute_map` fills on first use, `mc_compute_dict`) so that its `iterate_molecules`
and `format_calc_plan` see only those.

QCManyBody 0.8 takes `embedding_charges` as a documented ManyBodyKeywords field but builds no
ManyBodyCore with them unless the environment variable QCMANYBODY_EMBEDDING_CHARGES is set ("still in
testing"): `allow_embedding_charges` sets it in a process that plans or assembles an embedded run
(mbpipe checks the charges itself, mbpipe/embedding/charges.py).

The QCManyBody versions this holds for are pinned in pyproject.toml; tests/test_compat.py and
tests/test_embedding.py fail on one where it stops holding.
"""

from __future__ import annotations

import os

from qcmanybody.utils import labeler

# The properties QCManyBody's analysis assembles from fragment results.
PROPERTIES = ("energy", "gradient", "hessian")


def planned_labels(core) -> set[str]:
    """QCManyBody's labels of every calculation *core* (a ManyBodyCore) plans and its analysis reads."""
    return {
        labeler(mc, real, basis)
        for mc, compute_dict in core.compute_map.items()
        for calculations in compute_dict["all"].values()
        for real, basis in calculations
    }


def restrict_to(core, labels: set[str]) -> None:
    """Leave in *core*'s compute lists only the calculations QCManyBody labels *labels*: its own
    `iterate_molecules` and `format_calc_plan` then plan and count those alone.  A core so restricted
    plans; it cannot analyze."""
    core.mc_compute_dict = {
        mc: {
            sset: {nb: {c for c in calcs if labeler(mc, *c) in labels} for nb, calcs in lists.items()}
            for sset, lists in compute_dict.items()
        }
        for mc, compute_dict in core.compute_map.items()
    }


def allow_embedding_charges() -> None:
    """Let QCManyBody's ManyBodyCore accept ``embedding_charges`` in this process."""
    os.environ.setdefault("QCMANYBODY_EMBEDDING_CHARGES", "1")
