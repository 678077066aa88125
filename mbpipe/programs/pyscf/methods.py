"""What the PySCF harness computes: its methods, the drivers each one has, and its keywords.

``pyscf_problems`` answers before any calculation whether a model chemistry can run, so that the
pipeline's pre-run checks refuse a config at once and the harness refuses the same input the same way.
Only the naming of density functionals needs PySCF itself (its libxc table), and of dispersion
corrections pyscf-dispersion's parameter tables; nothing here computes.

Dispersion corrections are written as Psi4 and QCManyBody users write them, a suffix on the functional
(``b3lyp-d3``, ``pbe0-d3bj``, ``hf-d3bj``, ``b3lyp-d4``), and given to PySCF as its ``disp`` attribute
with the damping spelled out: PySCF reads a bare ``-d3`` as no damping it knows, where Psi4 means zero
damping. The name a user wrote is the method recorded in every result.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# QCEngine's NWChem harness and QCSchema both call Hartree-Fock "hf" or "scf".
HF_NAMES = {"hf", "scf"}
CORRELATED = {"mp2", "ccsd", "ccsd(t)"}

# Analytic derivatives PySCF has, by kind of method. PySCF has no MP2 Hessian, and its CCSD and CCSD(T)
# gradients are not wired into this harness: these are refused rather than approximated.
DRIVERS = {
    "hf": {"energy", "gradient", "hessian"},
    "dft": {"energy", "gradient", "hessian"},
    "mp2": {"energy", "gradient"},
    "ccsd": {"energy"},
    "ccsd(t)": {"energy"},
}

# What gpu4pyscf computes for the pyscf-gpu program: SCF energies and gradients. Its MP2, coupled-cluster
# and Hessian code is not wired into this harness.
GPU_DRIVERS = {"hf": {"energy", "gradient"}, "dft": {"energy", "gradient"}}

# Keyword: (default, type, what it does). The defaults are PySCF's own, so that a result equals PySCF
# run by hand with the same basis, except where noted.
KEYWORDS: dict[str, tuple[Any, type | tuple[type, ...], str]] = {
    "cart": (
        False,
        bool,
        "cartesian d and f functions (6d/10f) instead of spherical (5d/7f); PySCF's default is spherical, "
        "QCEngine's NWChem harness always writes cartesian basis sets",
    ),
    "conv_tol": (1e-9, float, "SCF convergence on the energy change, hartree"),
    "conv_tol_grad": (None, float, "SCF convergence on the orbital gradient; PySCF's default is sqrt(conv_tol)"),
    "max_cycle": (50, int, "most SCF iterations before the calculation fails with a convergence error"),
    "init_guess": ("minao", str, "SCF starting guess: minao, atom, huckel, 1e, ..."),
    "level_shift": (0.0, float, "virtual-orbital level shift, hartree, for SCFs that oscillate"),
    "density_fit": (False, bool, "density fitting (RI) for the SCF and, through it, for MP2 and CCSD"),
    "auxbasis": (None, str, "fitting basis for density_fit; PySCF picks the one that matches the basis"),
    "freeze_core": (False, bool, "leave the chemical core out of MP2 and CCSD correlation (ghost atoms have none)"),
    "grids_level": (3, int, "DFT integration grid, 0 (coarse) to 9 (fine)"),
    "cc_conv_tol": (1e-7, float, "CCSD convergence on the energy change, hartree"),
    "cc_max_cycle": (50, int, "most CCSD iterations before the calculation fails with a convergence error"),
}

# Functional names whose meaning PySCF changes with B3LYP_WITH_VWN5 in a user's pyscf_conf.py. The
# harness passes the fixed libxc name instead, so that a file in someone's home directory cannot change
# a number: b3lyp is libxc's HYB_GGA_XC_B3LYP (402; VWN-RPA local correlation, as Gaussian, Psi4 and
# NWChem define B3LYP) and b3lyp5 the VWN5 variant (Turbomole's, ORCA's B3LYP).
FIXED_XC = {"b3lyp": "b3lypg", "b3p86": "b3p86g", "x3lyp": "x3lypg"}


# Dispersion suffix -> (PySCF's damping, what it is). Psi4's meanings: -d3 is D3 with zero damping and
# -d3mbj modified Becke-Johnson damping, both two-body only; -d4 includes the three-body (ATM) term.
DISPERSION = {
    "d3": ("d3zero", "Grimme D3, zero damping (Psi4's -d3), two-body"),
    "d3zero": ("d3zero", "Grimme D3, zero damping, two-body"),
    "d3bj": ("d3bj", "Grimme D3, Becke-Johnson damping, two-body"),
    "d3mzero": ("d3zerom", "Grimme D3, modified zero damping (Sherrill's), two-body"),
    "d3mbj": ("d3bjm", "Grimme D3, modified Becke-Johnson damping (Sherrill's), two-body"),
    "d4": ("d4", "Grimme D4, with the three-body (ATM) term"),
}


@dataclass(frozen=True)
class Dispersion:
    """The dispersion correction of a method name such as ``b3lyp-d3``: the functional without it (``hf``
    for Hartree-Fock), the suffix as written, and PySCF's damping."""

    functional: str
    suffix: str
    damping: str

    @property
    def pyscf_disp(self) -> str:
        """PySCF's ``disp`` attribute: the damping and the functional whose parameters it takes."""
        return f"{self.damping}:{self.functional}"

    @property
    def description(self) -> str:
        return f"{self.functional} with {DISPERSION[self.suffix][1]}, from pyscf-dispersion ({self.pyscf_disp})"


def dispersion(method: str) -> Dispersion | None:
    """The dispersion correction that *method* asks for with a suffix of ``DISPERSION``; None without one."""
    functional, dash, suffix = method.lower().rpartition("-")
    if not dash or suffix not in DISPERSION or not functional:
        return None
    functional = "hf" if functional in HF_NAMES else functional
    return Dispersion(functional, suffix, DISPERSION[suffix][0])


def method_kind(method: str) -> str:
    """The kind of a QCSchema method name: hf, dft, mp2, ccsd or ccsd(t); hf or dft too with a dispersion
    suffix. ValueError naming the method and what is known when PySCF has no such method."""
    method = method.lower()
    disp = dispersion(method)
    if disp is not None:
        kind = "hf" if disp.functional == "hf" else _functional_kind(disp.functional)
        _check_dispersion(method, disp)
        return kind
    if method in HF_NAMES:
        return "hf"
    if method in CORRELATED:
        return method
    return _functional_kind(method)


def _check_dispersion(method: str, disp: Dispersion) -> None:
    """ValueError when pyscf-dispersion is missing, has no parameters for this functional and damping, or
    PySCF would read the name as a different functional (wb97x-d3bj is wB97X-V's, not wB97X's)."""
    from pyscf.scf.dispersion import parse_dft

    xc = parse_dft(method)[0]
    if xc != disp.functional and disp.functional != "hf":
        raise ValueError(
            f"method {method!r} is a functional of its own in PySCF ({xc!r} with its own dispersion), not "
            f"{disp.functional!r} with a correction added; mbpipe does not run it"
        )
    problem = _dispersion_parameters_problem(disp.functional, disp.damping)
    if problem:
        suffixes = ", ".join(f"-{s}" for s in DISPERSION)
        raise ValueError(
            f"method {method!r}: pyscf-dispersion has no {disp.damping} parameters for {disp.functional!r} "
            f"({problem}); try another damping ({suffixes}) or a functional it parametrises, e.g. b3lyp, pbe0, pbe"
        )


@lru_cache(maxsize=64)
def _dispersion_parameters_problem(functional: str, damping: str) -> str | None:
    """Why pyscf-dispersion cannot set up *damping* for *functional* (asked on one hydrogen atom, a few
    milliseconds); None when it can."""
    try:
        from pyscf import gto
        from pyscf.dispersion import dftd3, dftd4
    except ImportError:
        return "pyscf-dispersion is not installed; reinstall mbpipe, or `pip install pyscf-dispersion`"
    atom = gto.M(atom="H 0 0 0", spin=1, basis="sto-3g", verbose=0)
    try:
        if damping == "d4":
            dftd4.DFTD4Dispersion(atom, xc=functional)
        else:
            dftd3.DFTD3Dispersion(atom, xc=functional, version=damping)
    except RuntimeError as err:
        return str(err).strip() or "no parameters"
    return None


def _functional_kind(method: str) -> str:
    from pyscf.dft import libxc
    from pyscf.scf.dispersion import parse_dft

    try:
        xc, _, disp = parse_dft(method)
        libxc.parse_xc(xc)
    except (KeyError, ValueError, NotImplementedError) as err:
        raise ValueError(
            f"method {method!r} is neither hf, mp2, ccsd, ccsd(t) nor a density functional PySCF knows ({err}); "
            "functionals go by their libxc names, e.g. b3lyp, b3lyp5, pbe0, pbe, wb97x"
        ) from None
    if disp is not None:
        suffixes = ", ".join(f"-{s}" for s in DISPERSION)
        raise ValueError(
            f"method {method!r} asks for the dispersion correction {disp!r}, which mbpipe does not know; "
            f"write one of {suffixes} after the functional, e.g. b3lyp-d3bj"
        )
    return "dft"


def xc_name(method: str) -> str:
    """The name the harness gives PySCF for the functional of *method* (see FIXED_XC), without any
    dispersion suffix."""
    disp = dispersion(method)
    functional = disp.functional if disp else method.lower()
    return FIXED_XC.get(functional, functional)


def settings(keywords: dict[str, Any]) -> dict[str, Any]:
    """Every keyword with its value: the given ones over the defaults (call pyscf_problems first)."""
    given = {k.lower(): v for k, v in keywords.items()}
    return {name: given.get(name, default) for name, (default, _, _) in KEYWORDS.items()}


def pyscf_problems(
    method: str, driver: str, keywords: dict[str, Any], open_shell: bool = False, gpu: bool = False
) -> list[str]:
    """Why PySCF through this harness cannot run *method* for *driver* with *keywords*: one sentence per
    problem naming the input and the fix; empty when it can. *open_shell*: some calculation has a
    multiplicity above 1 (an unrestricted reference). *gpu*: the pyscf-gpu program (gpu4pyscf)."""
    problems = _keyword_problems(keywords)
    try:
        kind = method_kind(method)
    except ValueError as err:
        return [*problems, str(err)]
    driver = str(getattr(driver, "value", driver))
    if driver not in DRIVERS[kind]:
        gives = ", ".join(sorted(DRIVERS[kind]))
        fix = "use hf or a density functional for Hessians" if driver == "hessian" else "choose another driver"
        problems.append(f"PySCF cannot compute a {driver} for method {method!r} here (it gives {gives}); {fix}")
    elif gpu and driver not in GPU_DRIVERS.get(kind, ()):
        problems.append(
            f"pyscf-gpu computes hf and density-functional energies and gradients only; method {method!r} with "
            f"driver {driver} needs program pyscf (CPU)"
        )
    given = {k.lower(): v for k, v in keywords.items()}
    if kind == "mp2" and driver == "gradient" and given.get("density_fit"):
        problems.append("PySCF has no density-fitted MP2 gradient; set density_fit to false for MP2 gradients")
    if kind == "mp2" and driver == "gradient" and open_shell:
        # Measured with PySCF 2.14: the UMP2 gradient of an OH radical next to a water is off by 8e-5 Eh/bohr
        # from central differences of PySCF's own energy, while NWChem's UMP2 gradient agrees with them to 5e-7.
        problems.append(
            "PySCF's unrestricted MP2 gradient disagrees with finite differences of its own energy (8e-5 Eh/bohr "
            "for an OH radical beside a water); for open-shell fragments use driver energy, or NWChem (scf__uhf) "
            "for MP2 gradients"
        )
    if given.get("auxbasis") is not None and not given.get("density_fit"):
        problems.append("auxbasis is given but density_fit is not true; set density_fit: true or drop auxbasis")
    return problems


def _keyword_problems(keywords: dict[str, Any]) -> list[str]:
    problems = []
    for name, value in keywords.items():
        key = name.lower()
        if key not in KEYWORDS:
            close = difflib.get_close_matches(key, list(KEYWORDS), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"PySCF keywords are {', '.join(KEYWORDS)}"
            problems.append(f"PySCF keyword {name!r} is unknown; {hint}")
            continue
        default, kind, _ = KEYWORDS[key]
        if value is None and default is None:
            continue
        # bool is an int in Python: a true/false where a number belongs is a mistake, and so is 1 for true.
        if isinstance(value, bool) != (kind is bool) or not isinstance(value, (float, int) if kind is float else kind):
            problems.append(f"PySCF keyword {name!r} is {value!r}; it takes a {kind.__name__}")
    return problems
