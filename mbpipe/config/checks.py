"""Is this run's input something the pipeline can compute?  Every problem is found before any job
starts and reported with the input it concerns and how to fix it.

``checked_manybody_input`` reads the molecule, checks the levels against it, and asks the programs'
checks (mbpipe/programs/capabilities.py) whether each program is there and able to do what is asked.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mbpipe.config.errors import ConfigError
from mbpipe.config.manybody_input import manybody_input
from mbpipe.molecules.reading import read_molecule
from mbpipe.programs.capabilities import program_problems


def checked_manybody_input(config: dict[str, Any]):
    """The run's ManyBodyInput, once the molecule, levels and programs are known to be computable.
    Raises ConfigError listing every problem found."""
    from pydantic import ValidationError

    if "molecule" in config:
        _raise_if(molecule_problems(Path(config["molecule"])))
        _raise_if(molecule_read_problems(Path(config["molecule"])))
    try:
        mbin = manybody_input(config)
    except FileNotFoundError as err:
        raise ConfigError([str(err)]) from None
    except (ValidationError, ValueError) as err:
        raise ConfigError([_pydantic_message(err)]) from None
    nfragments = len(mbin.molecule.fragments)
    problems = fragment_count_problems(nfragments)
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


def molecule_problems(path: Path) -> list[str]:
    """The molecule file is there, and in an XYZ file each fragment's charge and multiplicity fit
    its electron count."""
    if not path.is_file():
        return [f"`molecule`: the file {path} does not exist; give the path of an XYZ or QCSchema JSON file"]
    if path.suffix.lower() == ".json":
        return []
    from qcelemental.exceptions import NotAnElementError

    try:
        fragments = list(_xyz_fragments(path.read_text()))
    except NotAnElementError:
        return []  # QCElemental's reading names the line (molecule_read_problems)
    if not any(natoms for *_, natoms in fragments):
        return [f"`molecule` {path} holds no atoms; give one `symbol x y z` line per atom (Angstrom)"]
    problems = []
    for number, (charge, multiplicity, electrons, _) in enumerate(fragments, start=1):
        if multiplicity is None:
            continue
        if electrons < 0 or multiplicity < 1 or multiplicity > electrons + 1:
            problems.append(
                f"`molecule` {path}: fragment {number} has charge {charge} and multiplicity {multiplicity}, "
                f"impossible with {electrons} electrons"
            )
        elif (electrons + multiplicity) % 2 == 0:
            parity, needed = ("odd", "even") if electrons % 2 else ("even", "odd")
            problems.append(
                f"`molecule` {path}: fragment {number} has charge {charge} and multiplicity {multiplicity} with "
                f"an {parity} number of electrons ({electrons}); the multiplicity must be {needed} "
                "(fix the `charge multiplicity` line after its `--`)"
            )
    return problems


def molecule_read_problems(path: Path) -> list[str]:
    """QCElemental's reading of the molecule file, whatever its complaint."""
    try:
        read_molecule(path)
    except Exception as err:  # QCElemental raises several kinds for a malformed file
        return [f"`molecule` {path} cannot be read as fragmented XYZ or QCSchema JSON: {type(err).__name__}: {err}"]
    return []


_CHARGE_MULTIPLICITY = re.compile(r"^\s*(-?\d+)\s+(\d+)\s*$")


def _xyz_fragments(text: str):
    """(charge, multiplicity or None, electrons, atoms) of each fragment of an XYZ text."""
    from qcelemental import periodictable

    lines = text.splitlines()
    if lines and lines[0].strip().isdigit():
        lines = lines[2:]
    blocks = [[]]
    for line in lines:
        if line.strip() == "--":
            blocks.append([])
        elif line.strip():
            blocks[-1].append(line)
    for block in blocks:
        charge, multiplicity = 0, None
        if block and (match := _CHARGE_MULTIPLICITY.match(block[0])):
            charge, multiplicity = int(match[1]), int(match[2])
            block = block[1:]
        protons = sum(periodictable.to_Z(line.split()[0]) for line in block if not line.split()[0].startswith("@"))
        yield charge, multiplicity, protons - charge, len(block)


def fragment_count_problems(nfragments: int) -> list[str]:
    if nfragments >= 2:
        return []
    return [
        f"`molecule` has {nfragments} fragment; a many-body expansion needs at least 2: separate the fragments "
        "with lines holding only `--`"
    ]


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
