"""What each QC program can do through QCEngine, and how to get it: the program-specific checks of a
run's input, made before any job starts."""

from __future__ import annotations

import difflib

# Programs whose QCEngine harness writes every atom as a real atom (MOPAC's writes symbols and
# coordinates only), so a counterpoise calculation would silently count ghosts as nuclei.
NO_GHOST_ATOMS = {"mopac"}
# Drivers a harness refuses (QCEngine's MOPAC harness: energy and gradient only).
DRIVERS = {"mopac": {"energy", "gradient"}}
GHOST_BSSE_TYPES = {"cp", "vmfc"}
# Programs whose every method is defined in a Gaussian basis set, so a model chemistry without one is
# a slip; MOPAC's semi-empirical methods (and force fields, xtb) take none.
NEEDS_BASIS = {"nwchem", "psi4", "cfour", "gamess", "qchem", "molpro", "turbomole", "terachem", "adcc"}
# How to get a program QCEngine cannot find, where we know better than QCEngine's conda hint.
INSTALL = {
    "nwchem": "install it with `apt-get install nwchem` (Debian/Ubuntu) or `conda install -c conda-forge nwchem`",
    "mopac": "install it with `apt-get install mopac` (Debian/Ubuntu) or `conda install -c conda-forge mopac`",
    "pyscf": "install it with `pip install pyscf` (a dependency of mbpipe: reinstalling mbpipe brings it)",
}
# mbpipe's own harnesses (mbpipe/programs/pyscf/), whose methods, drivers and keywords are checked here.
PYSCF_PROGRAMS = {"pyscf", "pyscf-gpu"}
# Programs whose every calculation needs one GPU: their fragment jobs ask the scheduler for it.
GPU_PROGRAMS = {"pyscf-gpu"}


def program_problems(mbin) -> list[str]:
    """Each model chemistry's program is known to QCEngine, found on this machine, and able to do
    what is asked of it."""
    import qcengine

    from mbpipe.programs import register_programs

    register_programs()
    known = qcengine.list_all_programs()
    driver = _value(mbin.specification.driver)
    ghosts = sorted(GHOST_BSSE_TYPES & {_value(b) for b in mbin.specification.keywords.bsse_type})
    problems = []
    for mc, spec in mbin.specification.specification.items():
        program = spec.program.lower()
        where = f"model chemistry {mc!r}: program {spec.program!r}"
        if program not in known:
            close = difflib.get_close_matches(program, sorted(known), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"QCEngine knows {', '.join(sorted(known))}"
            problems.append(f"{where} is not a QCEngine program; {hint}")
            continue
        if (program in NEEDS_BASIS or program in PYSCF_PROGRAMS) and not spec.model.basis:
            problems.append(
                f"model chemistry {mc!r} has no basis set, which {spec.program!r} needs for method "
                f"{spec.model.method!r}; add e.g. `basis: cc-pvdz` to it"
            )
        if not qcengine.get_program(program, check=False).found():
            problems.append(f"{where} is not installed on this machine (QCEngine cannot find it); {_install(program)}")
        elif program in PYSCF_PROGRAMS:
            problems += [f"{where}: {problem}" for problem in _pyscf_problems(mbin, spec, program)]
        if program in NO_GHOST_ATOMS and ghosts:
            problems.append(
                f"{where} cannot place ghost atoms, which bsse_type {', '.join(ghosts)} needs; use bsse_type nocp "
                "with it, or a program with ghost atoms (e.g. nwchem)"
            )
        if program in DRIVERS and driver not in DRIVERS[program]:
            problems.append(
                f"{where} cannot compute a {driver} through QCEngine (it gives {', '.join(sorted(DRIVERS[program]))}); "
                "choose another driver or program"
            )
    return problems


def model_chemistry_notes(mbin) -> list[str]:
    """What a model chemistry's method name means where a person could read it two ways: for a person to
    check before anything runs (``mbpipe plan``)."""
    from mbpipe.programs.pyscf.methods import dispersion

    notes = []
    for mc, spec in mbin.specification.specification.items():
        disp = dispersion(spec.model.method) if spec.program.lower() in PYSCF_PROGRAMS else None
        if disp is not None:
            notes.append(f"model chemistry {mc!r}: {spec.model.method} is {disp.description}")
    return notes


def _pyscf_problems(mbin, spec, program: str) -> list[str]:
    """PySCF's refusals of this model chemistry, and for pyscf-gpu whether this machine has a GPU."""
    from mbpipe.programs.pyscf import gpu_problems, pyscf_problems

    molecule = mbin.molecule
    # An open-shell fragment makes every n-mer that holds it open-shell too.
    open_shell = molecule.molecular_multiplicity > 1 or any(m > 1 for m in molecule.fragment_multiplicities)
    problems = pyscf_problems(
        spec.model.method, _value(spec.driver), spec.keywords, open_shell=open_shell, gpu=program == "pyscf-gpu"
    )
    return problems + (gpu_problems() if program == "pyscf-gpu" else [])


def _value(enum_or_str) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str))


def _install(program: str) -> str:
    if program in INSTALL:
        return INSTALL[program]
    import qcengine

    try:
        qcengine.get_program(program, check=False).found(raise_error=True)
    except Exception as err:  # the harness's own advice, e.g. which conda package
        return str(err).strip()
    return "install it so that QCEngine finds it on PATH"
