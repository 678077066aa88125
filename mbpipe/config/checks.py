"""Is this run's input something the pipeline can compute?  Every problem is found before any job
starts and reported with the input it concerns and how to fix it.

``checked_manybody_input`` reads the molecule (whose reader names what is wrong with the file, see
mbpipe/molecules/), checks the levels against it, and asks the programs' checks
(mbpipe/programs/capabilities.py) whether each program is there and able to do what is asked.
"""

from __future__ import annotations

from typing import Any

from mbpipe.config.errors import ConfigError
from mbpipe.config.manybody_input import manybody_input
from mbpipe.molecules.errors import MoleculeError
from mbpipe.programs.capabilities import program_problems

# Keys that say how to read `molecule`; an `input` ManyBodyInput brings its molecule ready-made.
MOLECULE_READING = ("frame", "fragmentation", "fragment_charges", "fragment_multiplicities")


def checked_manybody_input(config: dict[str, Any]):
    """The run's ManyBodyInput, once the molecule, levels and programs are known to be computable.
    Raises ConfigError listing every problem found."""
    from pydantic import ValidationError

    _raise_if(reading_problems(config) + embedding_config_problems(config))
    try:
        mbin = manybody_input(config)
    except MoleculeError as err:
        raise ConfigError(err.problems) from None
    except FileNotFoundError as err:
        raise ConfigError([str(err)]) from None
    except (ValidationError, ValueError) as err:
        raise ConfigError([_pydantic_message(err)]) from None
    nfragments = len(mbin.molecule.fragments)
    problems = fragment_count_problems(nfragments) + embedding_problems(mbin)
    if "model_chemistries" in config:
        problems += level_problems(config, nfragments)
    problems += program_problems(mbin)
    _raise_if(problems)
    return mbin


def _raise_if(problems: list[str]) -> None:
    if problems:
        raise ConfigError(problems)


def _pydantic_message(err) -> str:
    errors = getattr(err, "errors", None)
    if errors is None:
        return str(err)
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in errors())


def reading_problems(config: dict[str, Any]) -> list[str]:
    """The keys that say how to read `molecule` come with `molecule`, not with a ready-made `input`."""
    if "input" not in config:
        return []
    return [
        f"`{key}` says how to read `molecule`; an `input` ManyBodyInput holds its molecule ready-made: remove `{key}`"
        for key in MOLECULE_READING
        if key in config
    ]


def fragment_count_problems(nfragments: int) -> list[str]:
    if nfragments >= 2:
        return []
    return [
        f"`molecule` has {nfragments} fragment; a many-body expansion needs at least 2: separate the fragments "
        "with lines holding only `--`, or set `fragmentation: connectivity` to find the bonded molecules"
    ]


def embedding_config_problems(config: dict[str, Any]) -> list[str]:
    """What `embedding` cannot be combined with: each is refused by name rather than run untested."""
    if "embedding" not in config:
        return []
    problems = []
    if config.get("return_total_data") is not True:
        problems.append(
            "`embedding` gives total energies only (an embedded monomer is no isolated monomer, so there is no "
            "interaction energy to report): set `return_total_data: true`"
        )
    if config.get("distance_cutoffs"):
        # several geometries are refused as the config is read (mbpipe/config/load.py)
        problems.append("`embedding` is not combined with screening (`distance_cutoffs`) in mbpipe; remove one of them")
    if len(config.get("model_chemistries", {})) > 1 or "supersystem" in config.get("levels", {}):
        problems.append(
            "`embedding` is not combined with several model chemistries (multilevel) in mbpipe; use one model "
            "chemistry for every level"
        )
    return problems


def embedding_problems(mbin) -> list[str]:
    """Embedding charges reach PySCF's calculations only (mbpipe's harness puts them in the Hamiltonian);
    QCEngine's NWChem and MOPAC harnesses read none, so they are refused rather than dropped."""
    keywords = mbin.specification.keywords
    if not keywords.embedding_charges:
        return []
    from mbpipe.embedding.charges import charge_problems
    from mbpipe.programs.pyscf.methods import method_kind

    problems = charge_problems(keywords.embedding_charges, mbin.molecule)
    driver = str(getattr(mbin.specification.driver, "value", mbin.specification.driver))
    for mc, spec in mbin.specification.specification.items():
        program = spec.program.lower()
        if program != "pyscf":
            problems.append(
                f"model chemistry {mc!r}: embedding charges reach no calculation of program {spec.program!r} through "
                "QCEngine (its harness writes no point charges); use program pyscf, or drop `embedding`"
            )
            continue
        try:
            kind = method_kind(spec.model.method)
        except ValueError:
            continue  # named by the program checks
        if driver == "hessian" or (driver == "gradient" and kind not in ("hf", "dft")):
            problems.append(
                f"model chemistry {mc!r}: mbpipe computes embedded energies of every method and embedded gradients "
                f"of hf and density functionals only, not a {driver} of {spec.model.method!r}; choose driver energy"
            )
    return problems


def level_problems(config: dict[str, Any], nfragments: int) -> list[str]:
    """`max_nbody` and `levels` fit the molecule and name defined model chemistries."""
    problems = []
    max_nbody = config.get("max_nbody")
    if max_nbody is not None and max_nbody > nfragments:
        problems.append(
            f"`max_nbody` is {max_nbody} but the molecule has {nfragments} fragments; use 1 to {nfragments}"
        )
    levels = config.get("levels", {})
    defined = config["model_chemistries"]
    for level, mc in levels.items():
        if mc not in defined:
            problems.append(
                f"`levels` {level}: model chemistry {mc!r} is not defined under `model_chemistries` "
                f"(defined: {', '.join(defined)})"
            )
    numbers = sorted(int(k) for k in levels if k != "supersystem")
    if numbers and numbers[-1] > nfragments:
        problems.append(
            f"`levels` names level {numbers[-1]} but the molecule has {nfragments} fragments; "
            f"use levels 1 to {nfragments}"
        )
    if numbers and max_nbody is not None and numbers[-1] != max_nbody:
        problems.append(
            f"`levels` reaches level {numbers[-1]} but `max_nbody` is {max_nbody}; drop `max_nbody` or make the "
            "highest level equal to it"
        )
    by_mc: dict[str, list[int]] = {}
    for number in numbers:
        by_mc.setdefault(levels[str(number)], []).append(number)
    for mc, numbers_of_mc in by_mc.items():
        if len(numbers_of_mc) > 1:
            problems.append(
                f"`levels` names {mc!r} for levels {', '.join(map(str, numbers_of_mc))}; a model chemistry covers one "
                f"contiguous range of levels and is named once, at its highest level (e.g. {{1: a, 3: b}} "
                "gives levels 2 and 3 to b); define a second model chemistry with another name for another range"
            )
    return problems
