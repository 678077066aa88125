"""Screened many-body expansions: n-mers whose fragments lie far apart are left out.

``distance_cutoffs`` gives a cutoff in Angstrom per n-body order (2, 3, ...).  An n-mer is kept when
every pair of its fragments is within the cutoff of its order, a pair's distance being that of its
closest atoms; an order without a cutoff keeps every n-mer.  Cutoffs may not grow with the order, so
every sub-cluster of a kept n-mer is kept too.  The screened result through order n is the sum of the
increments of the kept n-mers up to n, each increment the inclusion-exclusion over the n-mer's
sub-clusters in the basis its BSSE treatment uses.

QCManyBody plans and analyzes complete expansions only.  So that it still does all the assembly, every
calculation its analysis reads but the screened expansion does not need gets an in-memory stand-in:
the value that makes the increment it belongs to vanish.  For a calculation of real fragments R:

* in its own basis (nocp): v(R, R) = -sum over non-empty S < R of (-1)^(|R|-|S|) v(S, S);
* in the whole cluster's basis (cp): v(R, all) = -sum over S < R of (-1)^(|R|-|S|) v(S, all);
* inside the basis of a screened n-mer B (vmfc): v(R, B) = v(R, R), so that B's vmfc increment is its
  nocp increment, which v(B, B) makes vanish (v(R, B) by the cp rule in B's basis where QCManyBody
  reads no v(R, R)).

Sub-clusters are real results where they were computed and stand-ins where not.  Stand-ins never
leave memory: `analyze_screened` drops them from what QCManyBody reports as computed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from qcelemental import constants
from qcmanybody.utils import labeler

from mbpipe.pipeline.qcmanybody_compat import PROPERTIES, planned_labels, restrict_to

DISTANCE = "closest atoms"


# --- cutoffs -------------------------------------------------------------------------------------


def cutoff_problems(cutoffs: Mapping[Any, Any], max_nbody: int) -> list[str]:
    """One sentence per problem with *cutoffs* (order -> Angstrom) for an expansion through
    *max_nbody* bodies, naming the entry and the fix; empty when they can be used.  Cutoffs of orders
    above *max_nbody* screen nothing and are not checked against the others."""
    problems, usable = [], {}
    for key, value in cutoffs.items():
        order = _order(key)
        if order is None:
            problems.append(f"`distance_cutoffs` has the key {key!r}; its keys are n-body orders 2, 3, ...")
            continue
        if order == 1:
            problems.append(
                "`distance_cutoffs` has a cutoff for order 1; monomers are never screened (every n-mer needs its "
                "monomers), so drop it"
            )
            continue
        if order < 1:
            problems.append(f"`distance_cutoffs` has the key {key!r}; its keys are n-body orders 2, 3, ...")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
            problems.append(
                f"`distance_cutoffs` {order}: {value!r} is not a cutoff; give a positive distance in Angstrom"
            )
            continue
        usable[order] = float(value)

    lowest_so_far: tuple[int, float] | None = None
    for order in range(2, max_nbody + 1):
        if order in usable:
            if lowest_so_far and usable[order] > lowest_so_far[1]:
                below, bound = lowest_so_far
                problems.append(
                    f"`distance_cutoffs` {order}: {usable[order]:g} Angstrom is larger than the {bound:g} Angstrom "
                    f"of order {below}; a kept {order}-mer needs its {below}-mers, so give order {order} at most "
                    f"{bound:g} Angstrom"
                )
            if not lowest_so_far or usable[order] <= lowest_so_far[1]:
                lowest_so_far = (order, usable[order])
        elif lowest_so_far:
            below, bound = lowest_so_far
            problems.append(
                f"`distance_cutoffs` has no cutoff for order {order}, which would keep every {order}-mer, also those "
                f"whose {below}-mers were screened at {bound:g} Angstrom; give order {order} a cutoff of at most "
                f"{bound:g} Angstrom"
            )
    return problems


def _order(key: Any) -> int | None:
    """An n-body order from a config key (YAML gives ints, JSON strings); None if it is none."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    if isinstance(key, str) and key.strip().lstrip("-").isdigit():
        return int(key)
    return None


# --- distances and kept n-mers ---------------------------------------------------------------------


def fragment_distances(molecule) -> np.ndarray:
    """Closest-atom distance in Angstrom between every two fragments of a QCElemental *molecule*
    (fragment i is row i - 1); zero on the diagonal."""
    geometry = np.asarray(molecule.geometry, dtype=float).reshape(-1, 3) * constants.bohr2angstroms
    fragments = [np.asarray(f, dtype=int) for f in molecule.fragments]
    order = np.concatenate(fragments)
    starts = np.cumsum([0] + [len(f) for f in fragments[:-1]])
    atoms = geometry[order]
    distances = np.empty((len(fragments), len(fragments)))
    for i, fragment in enumerate(fragments):
        # each atom's distance to its nearest atom of fragment i, then the nearest per fragment
        to_fragment = np.linalg.norm(atoms[:, None, :] - geometry[fragment][None, :, :], axis=2).min(axis=1)
        distances[i] = np.minimum.reduceat(to_fragment, starts)
    np.fill_diagonal(distances, 0.0)
    return distances


@dataclass(frozen=True, eq=False)
class Screening:
    """The n-mers a screened expansion keeps, by order (1-indexed fragment tuples, as in QCManyBody's
    labels), from the cutoffs (order -> Angstrom) and the fragments' closest-atom distances."""

    cutoffs: dict[int, float]
    distances: np.ndarray
    max_nbody: int

    @property
    def nfragments(self) -> int:
        return len(self.distances)

    def cutoff(self, order: int) -> float:
        """The cutoff of *order* in Angstrom; infinite where none is given."""
        return self.cutoffs.get(order, math.inf)

    @cached_property
    def kept(self) -> dict[int, frozenset[tuple[int, ...]]]:
        """Order -> kept n-mers, orders 1 to max_nbody."""
        return {order: frozenset(map(tuple, (nmers + 1).tolist())) for order, nmers in self._kept_arrays.items()}

    @cached_property
    def _kept_arrays(self) -> dict[int, np.ndarray]:
        # An n-mer whose pairs are all within cutoff(n) extends its first n-1 fragments, which are then
        # within cutoff(n) <= cutoff(n-1) too: every kept n-mer is a kept (n-1)-mer plus a higher fragment.
        kept = {1: np.arange(self.nfragments)[:, None]}
        for order in range(2, self.max_nbody + 1):
            kept[order] = _extend(kept[order - 1], self.distances, self.cutoff(order))
        return kept

    def is_kept(self, fragments: Iterable[int]) -> bool:
        """Whether the n-mer of these 1-indexed fragments is kept; n-mers above max_nbody never are."""
        nmer = tuple(sorted(fragments))
        return nmer in self.kept.get(len(nmer), ())

    @property
    def screens_anything(self) -> bool:
        return any(self.screened_count(order) for order in range(2, self.max_nbody + 1))

    def screened_count(self, order: int) -> int:
        return math.comb(self.nfragments, order) - len(self._kept_arrays[order])

    def orders(self) -> list[dict[str, Any]]:
        """Per order 2..max_nbody: its cutoff, how many n-mers are kept and screened, the largest kept
        and the smallest screened extent (Angstrom; None where there is none)."""
        rows = []
        for order in range(2, self.max_nbody + 1):
            kept = self._kept_arrays[order]
            cutoff = self.cutoff(order)
            rows.append(
                {
                    "nbody": order,
                    "cutoff_angstrom": None if math.isinf(cutoff) else cutoff,
                    "kept": len(kept),
                    "screened": self.screened_count(order),
                    "largest_kept_angstrom": float(_extents(kept, self.distances).max()) if len(kept) else None,
                    "smallest_screened_angstrom": _smallest_extent_beyond(self.distances, order, cutoff),
                }
            )
        return rows


def screen(molecule, cutoffs: Mapping[Any, float], max_nbody: int) -> Screening:
    """The n-mers of *molecule* kept by *cutoffs* (order -> Angstrom) in an expansion through
    *max_nbody*; raises ValueError naming the problems if the cutoffs cannot be used."""
    problems = cutoff_problems(cutoffs, max_nbody)
    if problems:
        raise ValueError("distance_cutoffs cannot be used:\n" + "\n".join(f"  - {p}" for p in problems))
    return Screening(
        cutoffs={
            order: float(cutoffs[key]) for order, key in sorted((_order(k), k) for k in cutoffs) if order <= max_nbody
        },
        distances=fragment_distances(molecule),
        max_nbody=max_nbody,
    )


def _extend(nmers: np.ndarray, distances: np.ndarray, cutoff: float) -> np.ndarray:
    """The (n+1)-mers (0-indexed rows, ascending) whose pairs are all within *cutoff*, from the n-mers
    *nmers* that contain their first n fragments."""
    within = distances <= cutoff
    nmers = nmers[_extents(nmers, distances) <= cutoff]
    if not len(nmers):
        return np.empty((0, nmers.shape[1] + 1), dtype=int)
    higher = np.arange(len(distances))[None, :] > nmers[:, -1:]
    rows, added = np.nonzero(within[nmers].all(axis=1) & higher)
    return np.column_stack([nmers[rows], added])


def _extents(nmers: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """The largest pair distance of each n-mer (rows of 0-indexed fragments); 0 for monomers."""
    extent = np.zeros(len(nmers))
    for a, b in itertools.combinations(range(nmers.shape[1]), 2):
        extent = np.maximum(extent, distances[nmers[:, a], nmers[:, b]])
    return extent


def _smallest_extent_beyond(distances: np.ndarray, order: int, cutoff: float) -> float | None:
    """The smallest extent above *cutoff* of any n-mer of *order*: the distance of the closest pair
    beyond the cutoff that, with order - 2 other fragments all within that distance, makes an n-mer."""
    if math.isinf(cutoff):
        return None
    upper = np.triu(np.ones_like(distances, dtype=bool), k=1)
    first, second = np.nonzero(upper & (distances > cutoff))
    for at in np.argsort(distances[first, second], kind="stable"):
        i, j = first[at], second[at]
        reach = distances[i, j]
        common = np.nonzero((distances[i] <= reach) & (distances[j] <= reach))[0]
        common = common[(common != i) & (common != j)]
        if order == 2 or _has_clique(distances[np.ix_(common, common)], order - 2, reach):
            return float(reach)
    return None


def _has_clique(distances: np.ndarray, size: int, reach: float) -> bool:
    """Whether *size* of these fragments are all within *reach* of each other."""
    nmers = np.arange(len(distances))[:, None]
    for _ in range(size - 1):
        nmers = _extend(nmers, distances, reach)
    return len(nmers) > 0


# --- which calculations a screened expansion needs ---------------------------------------------------


def needed_labels(core, screening: Screening) -> set[str]:
    """QCManyBody labels of the calculations a screened expansion needs, out of those *core* (a
    ManyBodyCore) plans: the calculation of a kept n-mer's sub-cluster in the basis its BSSE treatment
    uses (its own; the whole cluster's for cp; a kept n-mer's for vmfc), at a model chemistry that
    serves the n-mer's order, and the supersystem calculation."""
    everything = tuple(range(1, core.nfragments + 1))
    supersystem_mc = core.levels.get("supersystem")
    needed = set()
    for mc, compute_dict in core.compute_map.items():
        cp_reads = _calculations(compute_dict["cp"])
        relevant = _relevant_to(core, mc, screening)
        for real, basis in _calculations(compute_dict["all"]):
            if (mc == supersystem_mc and real == basis == everything) or (
                relevant(real) and (basis == real or screening.is_kept(basis) or (real, basis) in cp_reads)
            ):
                needed.add(labeler(mc, real, basis))
    return needed


def screening_problems(core, screening: Screening) -> list[str]:
    """Sentences on what no stand-in can serve for this expansion (empty if screening works for it)."""
    problems = []
    if core.supersystem_ie_only:
        problems.append(
            "`distance_cutoffs` screen the n-mers of a many-body expansion, but supersystem_ie_only computes only "
            "the whole cluster and its monomers; drop one of them"
        )
        return problems
    everything = tuple(range(1, core.nfragments + 1))
    if screening.is_kept(everything) or core.max_nbody < core.nfragments:
        return problems
    for mc, compute_dict in core.compute_map.items():
        label = labeler(mc, everything, everything)
        if label in _labels(mc, compute_dict["nocp"]) and (
            label in _labels(mc, compute_dict["cp"]) or label in _labels(mc, compute_dict["vmfc_compute"])
        ):
            problems.append(
                f"max_nbody {core.max_nbody} reaches the whole cluster, which the cutoffs screen; QCManyBody's nocp "
                f"and cp/vmfc sums at model chemistry {mc!r} read the same whole-cluster calculation, so no stand-in "
                f"can serve both: lower max_nbody to {core.nfragments - 1} (or ask for nocp or cp alone)"
            )
    return problems


def expansion_problems(core, cutoffs: Mapping[Any, Any]) -> list[str]:
    """Every reason the expansion of *core* (a ManyBodyCore) cannot be screened by *cutoffs*."""
    found = cutoff_problems(cutoffs, core.max_nbody)
    if not found and cutoffs:
        found = screening_problems(core, screen(core.molecule, cutoffs, core.max_nbody))
    return found


def restrict_to_needed(core, screening: Screening) -> None:
    """Leave in *core*'s compute lists only the calculations the screened expansion needs, so that its
    own ``iterate_molecules`` and ``format_calc_plan`` plan and count those alone."""
    restrict_to(core, needed_labels(core, screening))


def calculation_counts(core, screening: Screening) -> dict[str, int]:
    """How many of the calculations QCManyBody plans the screened expansion computes and leaves out."""
    planned = planned_labels(core)
    computed = len(planned & needed_labels(core, screening))
    return {"computed": computed, "screened": len(planned) - computed}


def extras(core, screening: Screening) -> dict[str, Any]:
    """What a screened result reports of its screening (for manybody.json's extras)."""
    return {
        "distance_cutoffs_angstrom": {str(k): v for k, v in screening.cutoffs.items()},
        "distance": DISTANCE,
        "nmers": screening.orders(),
        "calculations": calculation_counts(core, screening),
    }


def _calculations(compute_lists: Mapping[int, set]) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
    return set().union(*compute_lists.values()) if compute_lists else set()


def _labels(mc: str, compute_lists: Mapping[int, set]) -> set[str]:
    return {labeler(mc, real, basis) for real, basis in _calculations(compute_lists)}


def _relevant_to(core, mc: str, screening: Screening):
    """Whether a sub-cluster's results at *mc* enter the screened expansion: it is kept, and it lies in
    a kept n-mer of an order *mc* serves (below its lowest order, a sub-cluster's increment cancels
    between QCManyBody's cumulative sums)."""
    nbodies = core.nbodies_per_mc_level[mc]
    lowest = 1 if "supersystem" in nbodies else min(nbodies)
    inside = {
        sub
        for nmer in screening.kept.get(lowest, ())
        for size in range(1, lowest)
        for sub in itertools.combinations(nmer, size)
    }

    def relevant(real: tuple[int, ...]) -> bool:
        return screening.is_kept(real) and (len(real) >= lowest or tuple(real) in inside)

    return relevant


# --- assembling with stand-ins -------------------------------------------------------------------------


def _stand_ins(core, computed, needed: set[str]) -> dict[str, dict[str, Any]]:
    missing = sorted(needed - computed.keys())
    if missing:
        raise KeyError(
            f"{len(missing)} calculations the screened expansion needs have no result, e.g. {missing[:3]}; "
            "compute them before assembling"
        )
    names = {name for label in needed for name in computed[label]}
    unknown = names - set(PROPERTIES)
    if unknown:
        raise ValueError(f"stand-ins are formed for {', '.join(PROPERTIES)} only, not {', '.join(sorted(unknown))}")
    everything = tuple(range(1, core.nfragments + 1))
    made: dict[str, dict[str, Any]] = {}
    for mc, compute_dict in core.compute_map.items():
        calculations = _calculations(compute_dict["all"])
        nocp_reads = _calculations(compute_dict["nocp"])
        for name in names:
            values = _StandInValues(core, mc, name, computed, needed, calculations, nocp_reads, everything)
            for real, basis in calculations:
                label = labeler(mc, real, basis)
                if label not in needed:
                    made.setdefault(label, {})[name] = values.natural(real, basis)
    return made


def analyze_screened(core, screening: Screening, component_properties: Mapping[str, Mapping[str, Any]]) -> dict:
    """``core.analyze`` of the screened expansion: QCManyBody's own analysis of the needed results
    and the stand-ins, with the stand-ins taken out of what it reports as computed."""
    problems = screening_problems(core, screening)
    if problems:
        raise ValueError("the screened expansion cannot be assembled:\n" + "\n".join(f"  - {p}" for p in problems))
    needed = needed_labels(core, screening)
    computed = {label: dict(component_properties[label]) for label in needed if label in component_properties}
    analyzed = core.analyze({**computed, **_stand_ins(core, computed, needed)})
    analyzed["component_properties"] = {k: v for k, v in analyzed["component_properties"].items() if k in needed}
    analyzed["nbody_number"] = len(needed)
    return analyzed


class _StandInValues:
    """Values of one property at one model chemistry: real where computed, stand-ins elsewhere."""

    def __init__(self, core, mc, name, computed, needed, calculations, nocp_reads, everything):
        self.core, self.mc, self.name = core, mc, name
        self.computed, self.needed = computed, needed
        self.calculations, self.nocp_reads, self.everything = calculations, nocp_reads, everything
        self.memo: dict[tuple, Any] = {}

    def natural(self, real: tuple[int, ...], basis: tuple[int, ...]):
        """The value as a calculation in *basis* would give it."""
        label = labeler(self.mc, real, basis)
        if label in self.needed:
            return self.computed[label][self.name]
        key = (real, basis)
        if key not in self.memo:
            self.memo[key] = self._stand_in(real, basis)
        return self.memo[key]

    def _stand_in(self, real, basis):
        if real != basis and basis != self.everything:
            # inside a screened vmfc basis: its vmfc increment becomes the nocp one of the basis
            if (real, real) in self.calculations:
                return self._moved(self.natural(real, real), real, basis)
            return self._vanishing_increment(real, basis)
        if real == basis and (real, real) in self.nocp_reads:
            return self._vanishing_increment(real, None)
        return self._vanishing_increment(real, basis)

    def _vanishing_increment(self, real, basis):
        """-sum over non-empty S < real of (-1)^(|real|-|S|) v(S, basis or S), in *real*'s own basis
        when *basis* is None."""
        frame = basis or real
        terms = [
            (-1) ** (len(real) - size) * self._moved(self.natural(sub, basis or sub), basis or sub, frame)
            for size in range(1, len(real))
            for sub in itertools.combinations(real, size)
        ]
        if self.name == "energy":
            return -math.fsum(terms)
        return -sum(terms, self._zero(frame))

    def _moved(self, value, inner, outer):
        """*value* of a calculation in basis *inner* placed among the atoms of basis *outer*."""
        if self.name == "energy" or inner == outer:
            return value
        resize = self.core.resize_gradient if self.name == "gradient" else self.core.resize_hessian
        return resize(resize(np.asarray(value), inner), outer, reverse=True)

    def _zero(self, basis):
        natoms = sum(self.core.fragment_size_dict[f] for f in basis)
        return np.zeros((natoms, 3)) if self.name == "gradient" else np.zeros((3 * natoms, 3 * natoms))
