"""What the PySCF harness computes: its methods, the drivers each one has, and its keywords.

``pyscf_problems`` answers before any calculation whether a model chemistry can run, so that the
pipeline's pre-run checks refuse a config at once and the harness refuses the same input the same way.
Only the naming of density functionals needs PySCF itself (its libxc table); nothing here computes.
"""

from __future__ import annotations

import difflib
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


def method_kind(method: str) -> str:
    """The kind of a QCSchema method name: hf, dft, mp2, ccsd or ccsd(t). ValueError naming the method and
    what is known when PySCF has no such method."""
    method = method.lower()
    if method in HF_NAMES:
        return "hf"
    if method in CORRELATED:
        return method
    return _functional_kind(method)


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
        raise ValueError(
            f"method {method!r} asks for the dispersion correction {disp!r}, which needs the pyscf-dispersion "
            f"package that mbpipe does not install; use the functional without it ({xc!r})"
        )
    return "dft"


def xc_name(method: str) -> str:
    """The name the harness gives PySCF for the functional *method* (see FIXED_XC)."""
    return FIXED_XC.get(method.lower(), method.lower())


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
