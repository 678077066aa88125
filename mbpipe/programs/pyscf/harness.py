"""QCEngine's harness for PySCF: one AtomicInput computed in this process, one AtomicResult back.

Embedding charges (``molecule.extras["embedding_charges"]``, QCManyBody's [[charge in e, [x, y, z] in
bohr], ...]) enter the Hamiltonian through ``pyscf.qmmm``: the energy holds their interaction with the
electrons and nuclei, not among themselves; a gradient comes with the gradient with respect to each
charge's position in ``extras["embedding_charge_gradient"]`` (hartree/bohr, in the charges' order).

PySCF is imported only inside ``compute``: registering the harness, or asking whether it is installed,
loads none of PySCF's compiled libraries, so a process that forks workers can register it safely.
"""

from __future__ import annotations

import io
import os
import tempfile
from importlib.metadata import version
from typing import Any, ClassVar

import numpy as np
from qcelemental.models.v2 import AtomicInput, AtomicResult
from qcelemental.util import which_import
from qcengine.config import TaskConfig
from qcengine.exceptions import ConvergenceError, InputError
from qcengine.programs.model import ProgramHarness

from mbpipe.programs.pyscf.methods import dispersion, method_kind, pyscf_problems, settings, xc_name

# PySCF counts memory in MB of 10**6 bytes; QCEngine's TaskConfig in GiB.
MB_PER_GIB = 1024**3 / 1e6


class PySCFHarness(ProgramHarness):
    """HF, density functionals, MP2, CCSD and CCSD(T) from PySCF, with ghost atoms for cp and vmfc."""

    # Whether the SCF runs on a GPU through gpu4pyscf (the pyscf-gpu program, mbpipe/programs/pyscf/gpu.py).
    on_gpu: ClassVar[bool] = False
    _defaults: ClassVar[dict[str, Any]] = {
        "name": "PySCF",
        "scratch": True,
        # lib.num_threads is process-wide: two calculations in threads of one process would share it.
        "thread_safe": False,
        "thread_parallel": True,
        "node_parallel": False,
        "managed_memory": True,
    }

    @staticmethod
    def found(raise_error: bool = False) -> bool:
        return which_import(
            "pyscf", return_bool=True, raise_error=raise_error, raise_msg="Please install it with `pip install pyscf`."
        )

    def get_version(self) -> str:
        self.found(raise_error=True)
        return version("pyscf")

    def compute(self, input_model: AtomicInput, config: TaskConfig) -> AtomicResult:
        self.found(raise_error=True)
        spec = input_model.specification
        method, driver = spec.model.method.lower(), str(getattr(spec.driver, "value", spec.driver))
        open_shell = input_model.molecule.molecular_multiplicity > 1
        problems = pyscf_problems(method, driver, spec.keywords, open_shell=open_shell, gpu=self.on_gpu)
        if not isinstance(spec.model.basis, str) or not spec.model.basis:
            problems.append(f"basis {spec.model.basis!r} is not a basis-set name; give one PySCF knows, e.g. 6-31g*")
        charges = (input_model.molecule.extras or {}).get("embedding_charges") or []
        if (
            charges
            and not problems
            and (
                self.on_gpu
                or driver == "hessian"
                or (driver == "gradient" and method_kind(method) not in ("hf", "dft"))
            )
        ):
            problems.append(
                f"embedding charges are computed on the CPU for energies, and for hf and density-functional "
                f"gradients, not for a {driver} of {method!r} on {self.name}"
            )
        if problems:
            raise InputError(f"{self.name} cannot run this input:\n" + "\n".join(f"  - {p}" for p in problems))
        options = settings(spec.keywords)
        kind = method_kind(method)

        from pyscf import lib

        # PySCF reads OMP_NUM_THREADS once, at import; later changes to the variable are ignored.
        lib.num_threads(config.ncores)
        # Its scratch folder too is fixed at import, in a job server before this job's environment (its
        # TMPDIR from Snakemake) was set: PySCF's temporary files follow this calculation's.
        lib.param.TMPDIR = config.scratch_directory or os.environ.get("PYSCF_TMPDIR") or tempfile.gettempdir()
        log = io.StringIO()
        mol = build_molecule(input_model.molecule, spec.model.basis, options["cart"], config.memory, log)
        try:
            properties, extras, return_result = _run(mol, kind, method, driver, options, self.on_gpu, charges)
        except NotImplementedError as err:
            raise InputError(f"PySCF has no {driver} for method {method!r} with these keywords: {err}") from None
        extras["pyscf"]["threads"] = lib.num_threads()
        return AtomicResult(
            input_data=input_model,
            molecule=input_model.molecule,
            properties=properties,
            return_result=return_result,
            stdout=log.getvalue(),
            provenance={
                "creator": self.name,
                "version": self.get_version(),
                "routine": "mbpipe.programs.pyscf",
                "nthreads": config.ncores,
                "memory": round(config.memory, 3),
            },
            extras=extras,
            success=True,
        )


def import_pyscf() -> None:
    """Import the parts of PySCF that ``compute`` uses (about a second), without computing anything."""
    import pyscf.cc
    import pyscf.df
    import pyscf.dft
    import pyscf.grad
    import pyscf.hessian
    import pyscf.mp
    import pyscf.scf  # noqa: F401


def build_molecule(molecule, basis: str, cart: bool, memory_gib: float, log: io.StringIO):
    """PySCF's Mole for a QCSchema molecule: coordinates in bohr as given (PySCF reorients only with
    symmetry, which stays off), ghost atoms as ``ghost-<element>`` (basis functions, no charge, no
    electrons), charge and spin from the molecule."""
    from pyscf import gto

    atoms = [
        (symbol if real else f"ghost-{symbol}", xyz)
        for symbol, real, xyz in zip(molecule.symbols, molecule.real, molecule.geometry, strict=True)
    ]
    mol = gto.Mole(
        atom=atoms,
        unit="Bohr",
        basis=basis,
        cart=cart,
        charge=int(round(molecule.molecular_charge)),
        spin=molecule.molecular_multiplicity - 1,
        symmetry=False,
        max_memory=memory_gib * MB_PER_GIB,
        verbose=4,
    )
    mol.stdout = log
    try:
        # parse_arg=False: PySCF would otherwise read the calling program's command line.
        mol.build(dump_input=False, parse_arg=False)
    except (RuntimeError, KeyError) as err:
        raise InputError(
            f"PySCF cannot build the molecule with basis {basis!r}, charge {molecule.molecular_charge:g} and "
            f"multiplicity {molecule.molecular_multiplicity}: {err}"
        ) from None
    return mol


def _scf(mol, kind: str, method: str, options: dict[str, Any]):
    """The SCF object: restricted for closed shells, unrestricted otherwise; HF or Kohn-Sham."""
    from pyscf import dft, scf

    closed = mol.spin == 0
    if kind == "dft":
        mf = (dft.RKS if closed else dft.UKS)(mol, xc=xc_name(method))
        mf.grids.level = options["grids_level"]
    else:
        mf = (scf.RHF if closed else scf.UHF)(mol)
    disp = dispersion(method)
    if disp is not None:
        # PySCF adds it to the energy, gradient and Hessian of the SCF (Hessian: finite differences of the
        # analytic dispersion gradient). Ghost atoms reach pyscf-dispersion as atoms of charge 0, which
        # change a dispersion energy by 1e-11 Eh or less.
        mf.disp = disp.pyscf_disp
    if options["density_fit"]:
        mf = mf.density_fit(auxbasis=options["auxbasis"])
    mf.conv_tol = options["conv_tol"]
    mf.conv_tol_grad = options["conv_tol_grad"]
    mf.max_cycle = options["max_cycle"]
    mf.init_guess = options["init_guess"]
    mf.level_shift = options["level_shift"]
    # The result JSON is the record; PySCF's checkpoint file would be rewritten every iteration for nothing.
    mf.chkfile = None
    return mf


def _run(mol, kind: str, method: str, driver: str, options: dict[str, Any], on_gpu: bool = False, charges=()):
    """Properties, extras and return_result of *method* for *driver* on *mol*, in the field of the point
    *charges* ([[charge, [x, y, z] in bohr], ...]) if any."""
    mf = _scf(mol, kind, method, options)
    if charges:
        from pyscf import qmmm

        mf = qmmm.mm_charge(mf, [xyz for _, xyz in charges], [q for q, _ in charges], unit="Bohr")
    if on_gpu:
        # gpu4pyscf's class for the same SCF with the same settings; ImportError, never the CPU, without it.
        mf = mf.to_gpu()
    mf.kernel()
    if not mf.converged:
        raise ConvergenceError(
            f"PySCF's SCF did not converge in {options['max_cycle']} iterations (conv_tol {options['conv_tol']:g}, "
            f"last energy {mf.e_tot:.10f}); raise max_cycle, or try level_shift or another init_guess"
        )
    properties = _scf_properties(mf, kind)
    extras = {"pyscf": {"scf": type(mf).__name__, "cart": bool(mol.cart), "basis_functions": mol.nao}}
    if on_gpu:
        import gpu4pyscf

        extras["pyscf"]["gpu4pyscf"] = gpu4pyscf.__version__
    if kind == "dft":
        extras["pyscf"]["xc"] = mf.xc
    if dispersion(method) is not None:
        extras["pyscf"]["dispersion"] = dispersion(method).description
    if options["density_fit"]:
        extras["pyscf"]["auxbasis"] = str(mf.with_df.auxbasis)
    if charges:
        extras["pyscf"]["embedding_charges"] = len(charges)

    correlated = None
    energy = float(mf.e_tot)
    if kind == "mp2":
        correlated = mf.MP2()
        if options["freeze_core"]:
            correlated.set_frozen()
        correlated.kernel()
        energy = correlated.e_tot
        properties.update(_mp2_properties(correlated))
    elif kind in ("ccsd", "ccsd(t)"):
        correlated = mf.CCSD()
        if options["freeze_core"]:
            correlated.set_frozen()
        correlated.conv_tol = options["cc_conv_tol"]
        correlated.max_cycle = options["cc_max_cycle"]
        correlated.kernel()
        if not correlated.converged:
            raise ConvergenceError(
                f"PySCF's CCSD did not converge in {options['cc_max_cycle']} iterations (cc_conv_tol "
                f"{options['cc_conv_tol']:g}); raise cc_max_cycle"
            )
        energy = correlated.e_tot
        properties["ccsd_correlation_energy"] = correlated.e_corr
        properties["ccsd_total_energy"] = correlated.e_tot
        if kind == "ccsd(t)":
            triples = correlated.ccsd_t()
            energy = correlated.e_tot + triples
            properties["ccsd_prt_pr_correlation_energy"] = correlated.e_corr + triples
            properties["ccsd_prt_pr_total_energy"] = energy
    if correlated is not None:
        # set_frozen leaves a count of core orbitals per spin (ghost atoms have no core), None without it
        extras["pyscf"]["frozen_core_orbitals"] = int(correlated.frozen or 0)
    properties["return_energy"] = energy

    if driver == "energy":
        return properties, extras, energy
    if driver == "gradient":
        method_gradient = (correlated or mf).nuc_grad_method()
        gradient = _on_host(method_gradient.kernel())
        if correlated is None:
            properties["scf_total_gradient"] = gradient
        properties["return_gradient"] = gradient
        if charges:
            extras["embedding_charge_gradient"] = _charge_gradient(mf, method_gradient).tolist()
        return properties, extras, gradient
    hessian = _square(mf.Hessian().kernel())
    properties["scf_total_hessian"] = hessian
    properties["return_hessian"] = hessian
    return properties, extras, hessian


def _charge_gradient(mf, scf_gradient) -> np.ndarray:
    """The SCF energy's gradient with respect to the embedding charges' positions: through the electrons'
    density and through the nuclei (pyscf.qmmm's gradient object gives both)."""
    density = mf.make_rdm1()
    if density.ndim == 3:  # unrestricted: alpha and beta
        density = density[0] + density[1]
    return _on_host(scf_gradient.grad_hcore_mm(density) + scf_gradient.grad_nuc_mm())


def _scf_properties(mf, kind: str) -> dict[str, Any]:
    mol, summary = mf.mol, {name: float(value) for name, value in mf.scf_summary.items()}
    properties = {
        "calcinfo_nbasis": mol.nao,
        "calcinfo_nmo": int(np.shape(mf.mo_coeff)[-1]),
        "calcinfo_nalpha": mol.nelec[0],
        "calcinfo_nbeta": mol.nelec[1],
        "calcinfo_natom": mol.natm,
        "nuclear_repulsion_energy": float(mf.energy_nuc()),
        "scf_one_electron_energy": summary["e1"],
        "scf_total_energy": float(mf.e_tot),
        "scf_iterations": mf.cycles,
    }
    if "dispersion" in summary:
        # included in scf_total_energy, as Psi4 counts it
        properties["scf_dispersion_correction_energy"] = summary["dispersion"]
    if kind == "dft":
        # PySCF's exchange-correlation energy of a hybrid includes its share of exact exchange, so the
        # Coulomb energy alone is the rest of the two-electron energy: the four parts add up to the total.
        properties["scf_two_electron_energy"] = summary["coul"]
        properties["scf_xc_energy"] = summary["exc"]
    else:
        properties["scf_two_electron_energy"] = summary["e2"]
    return properties


def _mp2_properties(mp2) -> dict[str, Any]:
    return {
        "mp2_same_spin_correlation_energy": mp2.e_corr_ss,
        "mp2_opposite_spin_correlation_energy": mp2.e_corr_os,
        # Canonical RHF and UHF orbitals satisfy Brillouin's theorem: MP2 has no singles term.
        "mp2_singles_energy": 0.0,
        "mp2_doubles_energy": mp2.e_corr,
        "mp2_correlation_energy": mp2.e_corr,
        "mp2_total_energy": mp2.e_tot,
    }


def _on_host(array) -> np.ndarray:
    """A result array in host memory: gpu4pyscf may hand back a CuPy array."""
    return np.asarray(array.get() if type(array).__module__.startswith("cupy") else array)


def _square(hessian: np.ndarray) -> np.ndarray:
    """PySCF's Hessian, indexed [atom i, atom j, x_i, x_j], as QCSchema's (3N, 3N) matrix."""
    natom = hessian.shape[0]
    return hessian.transpose(0, 2, 1, 3).reshape(3 * natom, 3 * natom)
