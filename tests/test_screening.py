"""Screened many-body expansions, checked the way a chemist would check them by hand.

The kept n-mers are compared with a brute-force distance test over every n-mer.  The screened results
are compared with the sum of the kept n-mers' increments, formed here with plain inclusion-exclusion
from the fragment results of a full, unscreened run of QCManyBody's sequential computer on real
NWChem (HF/STO-3G) and MOPAC calculations.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from qcelemental.models.v2 import Molecule
from qcmanybody.models.v2 import ManyBodyInput
from qcmanybody.utils import labeler
from qcmanybody.v2 import ManyBodyComputer

from mbpipe.molecules.water_cluster import water_cluster_xyz
from mbpipe.pipeline import screening
from mbpipe.pipeline.qcmanybody_compat import planned_labels

ENERGY_TOLERANCE = 1e-12  # hartree
ARRAY_TOLERANCE = 1e-12  # hartree/bohr, hartree/bohr^2
BOHR_TO_ANGSTROM = 0.52917721067  # CODATA 2014, as QCElemental's default context

# 4 waters (closest-atom pair distances 1.80 1.88 2.11 3.05 3.27 3.28 Angstrom): 4 of 6 dimers and
# 1 of 4 trimers kept.
WATER4_CUTOFFS = {2: 3.2, 3: 3.1}
# 5 waters: 7 of 10 dimers and 2 of 10 trimers kept.
WATER5_CUTOFFS = {2: 3.6, 3: 3.1}


def water_cluster(nwaters: int) -> Molecule:
    return Molecule.from_data("\n".join(water_cluster_xyz(nwaters).splitlines()[2:]), dtype="psi4")


def manybody_input(molecule, driver, bsse_type, levels, specification, **keywords) -> ManyBodyInput:
    return ManyBodyInput(
        molecule=molecule,
        specification={
            "driver": driver,
            "keywords": {"bsse_type": bsse_type, "levels": levels, "return_total_data": True, **keywords},
            "protocols": {"cluster_results": "all"},
            "specification": specification,
        },
    )


NWCHEM_HF = {"hf": {"program": "nwchem", "driver": "energy", "model": {"method": "hf", "basis": "sto-3g"}}}


def mopac(method: str) -> dict:
    return {"program": "mopac", "driver": "energy", "model": {"method": method, "basis": None}}


def component_properties(result) -> dict:
    """label -> {property: value} from the AtomicResults of a sequential run, as QCManyBody reads them."""
    properties = {}
    for label, atomic in result.cluster_results.items():
        values = {name: getattr(atomic.properties, f"return_{name}") for name in ("energy", "gradient", "hessian")}
        properties[label] = {name: value for name, value in values.items() if value is not None}
    return properties


def screened_result(mbin, cutoffs, properties):
    """The ManyBodyResult of *mbin* screened by *cutoffs*, from *properties* (a full run's)."""
    computer = ManyBodyComputer.from_manybodyinput(mbin, build_tasks=False)
    core = computer.qcmb_core
    screen = screening.screen(core.molecule, cutoffs, core.max_nbody)
    analyzed = screening.analyze_screened(core, screen, properties)
    return computer.get_results(external_results=analyzed, component_results={}), screen, core


# --- the expectation, by hand ------------------------------------------------------------------------


def closest_atom_distance(molecule, a: int, b: int) -> float:
    """Angstrom between the closest atoms of 1-indexed fragments a and b, one atom pair at a time."""
    xyz = np.asarray(molecule.geometry).reshape(-1, 3) * BOHR_TO_ANGSTROM
    return min(
        float(np.sqrt(np.sum((xyz[i] - xyz[j]) ** 2)))
        for i in molecule.fragments[a - 1]
        for j in molecule.fragments[b - 1]
    )


def kept_by_brute_force(molecule, cutoffs, order):
    """Every n-mer of *order* whose fragment pairs all lie within the cutoff of *order*."""
    nfragments = len(molecule.fragments)
    cutoff = cutoffs.get(order, math.inf)
    return {
        nmer
        for nmer in itertools.combinations(range(1, nfragments + 1), order)
        if all(closest_atom_distance(molecule, a, b) <= cutoff for a, b in itertools.combinations(nmer, 2))
    }


def padded(molecule, value, basis):
    """A gradient or Hessian of the atoms of the fragments *basis* (in order) placed in the whole cluster."""
    atoms = [atom for fragment in basis for atom in molecule.fragments[fragment - 1]]
    natoms = len(molecule.symbols)
    value = np.asarray(value, dtype=float)
    if value.shape == (len(atoms), 3):
        whole = np.zeros((natoms, 3))
        whole[atoms] = value
        return whole
    coordinates = [3 * atom + xyz for atom in atoms for xyz in range(3)]
    whole = np.zeros((3 * natoms, 3 * natoms))
    whole[np.ix_(coordinates, coordinates)] = value
    return whole


def increment(properties, molecule, mc, nmer, basis_of, prop):
    """The n-mer's increment: sum over its sub-clusters T of (-1)^(n - |T|) times T's result in the
    basis *basis_of(T)*."""
    terms = []
    for size in range(1, len(nmer) + 1):
        for sub in itertools.combinations(nmer, size):
            basis = basis_of(sub)
            value = properties[labeler(mc, sub, basis)][prop]
            sign = (-1) ** (len(nmer) - size)
            terms.append(sign * (value if prop == "energy" else padded(molecule, value, basis)))
    return math.fsum(terms) if prop == "energy" else sum(terms)


def total_through(properties, molecule, kept, through, bsse, prop, mc_of_order=lambda n: "hf"):
    """Monomers in their own basis plus the increments of the kept n-mers of 2..through bodies, each in
    the basis *bsse* uses and at the model chemistry of its order."""
    everything = tuple(range(1, len(molecule.fragments) + 1))
    basis_rules = {"nocp": None, "cp": everything}
    terms = [increment(properties, molecule, mc_of_order(1), (i,), lambda t: t, prop) for i in everything]
    for order in range(2, through + 1):
        for nmer in sorted(kept[order]):
            if bsse == "vmfc":
                rule = lambda t, nmer=nmer: nmer  # noqa: E731
            elif basis_rules[bsse] is None:
                rule = lambda t: t  # noqa: E731
            else:
                rule = lambda t: everything  # noqa: E731
            terms.append(increment(properties, molecule, mc_of_order(order), nmer, rule, prop))
    return math.fsum(terms) if prop == "energy" else sum(terms)


def assert_close(got, expected, tolerance):
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float).reshape(np.shape(got))
    assert np.max(np.abs(got - expected)) <= tolerance


# --- kept n-mers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nwaters", "cutoffs", "max_nbody"),
    [
        (4, WATER4_CUTOFFS, 3),
        (6, {2: 4.0, 3: 3.5, 4: 3.3}, 4),
        (6, {2: 4.0, 3: 3.0, 4: 2.7}, 4),
        (12, {3: 4.0}, 3),
        (12, {2: 5.0, 3: 5.0}, 3),
    ],
)
def test_kept_nmers_equal_a_brute_force_distance_check(nwaters, cutoffs, max_nbody):
    molecule = water_cluster(nwaters)
    screen = screening.screen(molecule, cutoffs, max_nbody)
    for order in range(1, max_nbody + 1):
        expected = kept_by_brute_force(molecule, cutoffs, order)
        assert screen.kept[order] == expected, order
    for row in screen.orders():
        order = row["nbody"]
        kept = kept_by_brute_force(molecule, cutoffs, order)
        screened = set(itertools.combinations(range(1, nwaters + 1), order)) - kept
        extent = {
            nmer: max(closest_atom_distance(molecule, a, b) for a, b in itertools.combinations(nmer, 2))
            for nmer in kept | screened
        }
        assert (row["kept"], row["screened"]) == (len(kept), len(screened))
        if kept:
            assert row["largest_kept_angstrom"] == pytest.approx(max(extent[n] for n in kept), abs=1e-9)
        else:
            assert row["largest_kept_angstrom"] is None
        if screened:
            assert row["smallest_screened_angstrom"] == pytest.approx(min(extent[n] for n in screened), abs=1e-9)
        else:
            assert row["smallest_screened_angstrom"] is None


def test_the_test_clusters_screen_some_and_keep_some_nmers_of_every_order():
    for nwaters, cutoffs in ((4, WATER4_CUTOFFS), (5, WATER5_CUTOFFS)):
        rows = screening.screen(water_cluster(nwaters), cutoffs, 3).orders()
        assert [(r["kept"], r["screened"]) for r in rows] == {4: [(4, 2), (1, 3)], 5: [(7, 3), (2, 8)]}[nwaters]


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cutoffs", "max_nbody", "words"),
    [
        ({2: 6.0, 3: 9.0}, 3, ["`distance_cutoffs` 3", "larger than", "at most 6"]),
        ({2: 0.0}, 2, ["`distance_cutoffs` 2", "positive"]),
        ({2: -3.0}, 2, ["`distance_cutoffs` 2", "positive"]),
        ({1: 9.0, 2: 6.0}, 2, ["order 1", "monomers are never screened"]),
        ({2: 9.0}, 3, ["no cutoff for order 3", "at most 9"]),
        ({2: 9.0, 4: 5.0}, 4, ["no cutoff for order 3", "at most 9"]),
        ({"two": 9.0}, 2, ["'two'", "orders 2, 3"]),
        ({2: "far"}, 2, ["'far'", "positive distance in Angstrom"]),
    ],
)
def test_unusable_cutoffs_are_refused_naming_the_entry_and_the_fix(cutoffs, max_nbody, words):
    problems = screening.cutoff_problems(cutoffs, max_nbody)
    assert len(problems) == 1
    for word in words:
        assert word in problems[0]
    with pytest.raises(ValueError, match="distance_cutoffs cannot be used"):
        screening.screen(water_cluster(4), cutoffs, max_nbody)


def test_usable_cutoffs_raise_no_problem():
    assert screening.cutoff_problems({2: 9.0, 3: 9.0, 4: 5.5}, 4) == []
    assert screening.cutoff_problems({"3": 6}, 3) == []  # JSON gives string keys and integer values
    assert screening.cutoff_problems({}, 3) == []
    # orders above max_nbody screen nothing: a config can keep them while max_nbody is lowered
    assert screening.cutoff_problems({2: 9.0, 3: 12.0}, 2) == []
    assert screening.screen(water_cluster(4), {2: 9.0, 3: 12.0}, 2).cutoffs == {2: 9.0}


def test_a_screened_whole_cluster_that_nocp_and_cp_both_read_is_refused():
    molecule = water_cluster(4)
    mbin = manybody_input(molecule, "energy", ["nocp", "cp"], {4: "hf"}, NWCHEM_HF)
    core = ManyBodyComputer.from_manybodyinput(mbin, build_tasks=False).qcmb_core
    problems = screening.screening_problems(core, screening.screen(molecule, {2: 3.2, 3: 3.1, 4: 3.1}, 4))
    assert len(problems) == 1 and "lower max_nbody to 3" in problems[0]
    nocp_only = manybody_input(molecule, "energy", ["nocp"], {4: "hf"}, NWCHEM_HF)
    core = ManyBodyComputer.from_manybodyinput(nocp_only, build_tasks=False).qcmb_core
    assert screening.screening_problems(core, screening.screen(molecule, {2: 3.2, 3: 3.1, 4: 3.1}, 4)) == []


def test_supersystem_ie_only_is_refused():
    molecule = water_cluster(4)
    mbin = manybody_input(molecule, "energy", ["cp"], {4: "hf"}, NWCHEM_HF, supersystem_ie_only=True)
    core = ManyBodyComputer.from_manybodyinput(mbin, build_tasks=False).qcmb_core
    problems = screening.screening_problems(core, screening.screen(molecule, {2: 3.2, 3: 3.2, 4: 3.2}, 4))
    assert len(problems) == 1 and "supersystem_ie_only" in problems[0]


# --- which calculations are planned -------------------------------------------------------------------


def labels_the_kept_nmers_read(core, screen) -> set[str]:
    """From the issue's definition: each kept n-mer's increment at the model chemistry of its order
    reads its sub-clusters in its own basis (nocp), the whole cluster's (cp, n > 1) or the n-mer's
    (vmfc); total energies read the monomers; a supersystem reads every kept n-mer (nocp) and the
    whole cluster."""
    everything = tuple(range(1, core.nfragments + 1))
    wanted = set()
    for mc, orders in core.nbodies_per_mc_level.items():
        bsse_types = {b.value for b in core.bsse_type}
        if "supersystem" in orders:
            wanted.add(labeler(mc, everything, everything))
            orders, bsse_types = list(range(1, core.max_nbody + 1)), {"nocp"}
        for order in orders:
            for nmer in screen.kept[order]:
                for size in range(1, order + 1):
                    for sub in itertools.combinations(nmer, size):
                        if "nocp" in bsse_types:
                            wanted.add(labeler(mc, sub, sub))
                        if "cp" in bsse_types and order > 1:
                            wanted.add(labeler(mc, sub, everything))
                        if "vmfc" in bsse_types:
                            wanted.add(labeler(mc, sub, nmer))
            if order == 1 and core.return_total_data:
                wanted |= {labeler(mc, (i,), (i,)) for i in everything}
    return wanted


PLANS = {
    "nocp": (["nocp"], {3: "a"}),
    "cp": (["cp"], {3: "a"}),
    "vmfc": (["vmfc"], {3: "a"}),
    "all three": (["cp", "nocp", "vmfc"], {3: "a"}),
    "multilevel": (["nocp", "cp", "vmfc"], {1: "a", 2: "b", 3: "c"}),
    "multilevel vmfc": (["vmfc"], {1: "a", 3: "b"}),
    "supersystem": (["nocp"], {2: "a", 3: "b", "supersystem": "c"}),
    "two-body": (["cp", "nocp", "vmfc"], {2: "a"}),
}


@pytest.mark.parametrize("plan", PLANS)
def test_planned_calculations_are_those_the_kept_nmers_read(plan):
    bsse_type, levels = PLANS[plan]
    molecule = water_cluster(6)
    specification = {mc: NWCHEM_HF["hf"] for mc in set(levels.values())}
    mbin = manybody_input(molecule, "energy", bsse_type, levels, specification)
    core = ManyBodyComputer.from_manybodyinput(mbin, build_tasks=False).qcmb_core
    screen = screening.screen(molecule, {2: 3.3, 3: 3.0}, core.max_nbody)
    assert screen.screens_anything
    needed = screening.needed_labels(core, screen)
    assert needed == labels_the_kept_nmers_read(core, screen)
    assert needed < planned_labels(core)
    counts = screening.calculation_counts(core, screen)
    assert counts == {"computed": len(needed), "screened": len(planned_labels(core)) - len(needed)}

    nothing_screened = screening.screen(molecule, {2: 100.0, 3: 100.0}, core.max_nbody)
    assert not nothing_screened.screens_anything
    assert screening.needed_labels(core, nothing_screened) == planned_labels(core)


# --- assembly on real calculations ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def water4_gradient():
    """Every calculation of a 4-water HF/STO-3G gradient through 3 bodies, cp, nocp and vmfc."""
    mbin = manybody_input(water_cluster(4), "gradient", ["nocp", "cp", "vmfc"], {3: "hf"}, NWCHEM_HF)
    return mbin, ManyBodyComputer.from_manybodyinput(mbin)


@pytest.mark.nwchem
def test_cutoffs_beyond_the_cluster_give_the_sequential_result(water4_gradient):
    mbin, sequential = water4_gradient
    result, screen, _ = screened_result(mbin, {2: 50.0, 3: 50.0}, component_properties(sequential))
    assert not screen.screens_anything
    ours, theirs = result.properties.model_dump(), sequential.properties.model_dump()
    compared = 0
    for name, value in theirs.items():
        if value is None or isinstance(value, str):
            assert ours[name] == value, name
            continue
        assert_close(ours[name], value, ENERGY_TOLERANCE)
        compared += 1
    assert compared > 60
    assert_close(result.return_result, sequential.return_result, ARRAY_TOLERANCE)


@pytest.mark.nwchem
@pytest.mark.parametrize("bsse", ["nocp", "cp", "vmfc"])
def test_screened_result_is_the_sum_of_the_kept_increments(water4_gradient, bsse):
    mbin, sequential = water4_gradient
    properties = component_properties(sequential)
    result, screen, _ = screened_result(mbin, WATER4_CUTOFFS, properties)
    molecule = mbin.molecule
    for through in (1, 2, 3):
        for prop, tolerance in (("energy", ENERGY_TOLERANCE), ("gradient", ARRAY_TOLERANCE)):
            expected = total_through(properties, molecule, screen.kept, through, bsse, prop)
            got = getattr(result.properties, f"{bsse}_corrected_total_{prop}_through_{through}_body")
            assert_close(got, expected, tolerance)
    if bsse == "nocp":  # the first BSSE type asked for is the one returned
        assert_close(
            result.return_result,
            total_through(properties, molecule, screen.kept, 3, "nocp", "gradient"),
            ARRAY_TOLERANCE,
        )


@pytest.mark.nwchem
def test_only_computed_calculations_are_reported_and_used(water4_gradient):
    mbin, sequential = water4_gradient
    everything = component_properties(sequential)
    result, screen, core = screened_result(mbin, WATER4_CUTOFFS, everything)
    needed = screening.needed_labels(core, screen)
    assert set(result.cluster_properties) == needed
    assert result.properties.calcinfo_nmbe == len(needed) == 32
    # results of screened calculations handed in change nothing: stand-ins take their place
    only_needed, _, _ = screened_result(mbin, WATER4_CUTOFFS, {k: everything[k] for k in needed})
    for name, value in result.properties.model_dump().items():
        if value is not None and not isinstance(value, str):
            assert_close(getattr(only_needed.properties, name), value, 0.0)
    with pytest.raises(KeyError, match="no result"):
        screened_result(mbin, WATER4_CUTOFFS, {k: everything[k] for k in sorted(needed)[1:]})


@pytest.mark.nwchem
def test_screened_hessian_is_the_sum_of_the_kept_increments():
    molecule = water_cluster(3)  # pairs 2.13, 2.92, 4.00 Angstrom: the 3.5 Angstrom cutoff screens one
    mbin = manybody_input(molecule, "hessian", ["nocp", "cp", "vmfc"], {2: "hf"}, NWCHEM_HF)
    sequential = ManyBodyComputer.from_manybodyinput(mbin)
    properties = component_properties(sequential)
    result, screen, _ = screened_result(mbin, {2: 3.5}, properties)
    assert screen.kept[2] == {(1, 2), (1, 3)}
    for bsse in ("nocp", "cp", "vmfc"):
        for prop in ("energy", "hessian"):  # NWChem's Hessian calculations return no gradient
            expected = total_through(properties, molecule, screen.kept, 2, bsse, prop)
            got = getattr(result.properties, f"{bsse}_corrected_total_{prop}_through_2_body")
            assert_close(got, expected, ENERGY_TOLERANCE if prop == "energy" else ARRAY_TOLERANCE)


@pytest.fixture(scope="module")
def water5_multilevel():
    """Every calculation of a 5-water MOPAC energy: PM7 through 2 bodies, AM1 for 3, PM6 supersystem."""
    levels = {2: "pm7", 3: "am1", "supersystem": "pm6"}
    specification = {method: mopac(method) for method in ("pm7", "am1", "pm6")}
    mbin = manybody_input(water_cluster(5), "energy", ["nocp"], levels, specification)
    return mbin, component_properties(ManyBodyComputer.from_manybodyinput(mbin))


@pytest.mark.mopac
def test_screened_multilevel_and_supersystem_sum_the_kept_increments(water5_multilevel):
    with_supersystem, properties = water5_multilevel
    molecule = with_supersystem.molecule
    keywords = with_supersystem.specification.keywords.model_copy(update={"levels": {2: "pm7", 3: "am1"}})
    specification = with_supersystem.specification.model_copy(update={"keywords": keywords})
    multilevel = with_supersystem.model_copy(update={"specification": specification})

    result, screen, core = screened_result(multilevel, WATER5_CUTOFFS, properties)
    pm7_am1 = total_through(properties, molecule, screen.kept, 3, "nocp", "energy", lambda n: "pm7" if n < 3 else "am1")
    assert_close(result.return_result, pm7_am1, ENERGY_TOLERANCE)
    # AM1 dimers enter only through the two kept trimers: five of the seven kept dimers lie in them
    am1_dimers = {label for label in screening.needed_labels(core, screen) if label.startswith('["am1", [')}
    assert len([label for label in am1_dimers if label.count(",") == 4]) == 5

    result, screen, _ = screened_result(with_supersystem, WATER5_CUTOFFS, properties)
    everything = tuple(range(1, 6))
    pm6_mbe = total_through(properties, molecule, screen.kept, 3, "nocp", "energy", lambda n: "pm6")
    supersystem = properties[labeler("pm6", everything, everything)]["energy"]
    assert_close(result.return_result, math.fsum([pm7_am1, supersystem, -pm6_mbe]), ENERGY_TOLERANCE)
