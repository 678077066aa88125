"""Is this run's input something the pipeline can compute?  Every problem is found before any job
starts and reported with the input it concerns and how to fix it.

``schema_problems`` turns the schema's verdict into sentences; ``checked_manybody_input`` reads the
molecule and asks QCEngine whether each program is there and able to do what the config asks.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

# Programs whose QCEngine harness writes every atom as a real atom (MOPAC's writes symbols and
# coordinates only), so a counterpoise calculation would silently count ghosts as nuclei.
NO_GHOST_ATOMS = {"mopac"}
# Drivers a harness refuses (QCEngine's MOPAC harness: energy and gradient only).
DRIVERS = {"mopac": {"energy", "gradient"}}
GHOST_BSSE_TYPES = {"cp", "vmfc"}
# How to get a program QCEngine cannot find, where we know better than QCEngine's conda hint.
INSTALL = {
    "nwchem": "install it with `apt-get install nwchem` (Debian/Ubuntu) or `conda install -c conda-forge nwchem`",
    "mopac": "install it with `apt-get install mopac` (Debian/Ubuntu) or `conda install -c conda-forge mopac`",
}


class ConfigError(ValueError):
    """The run's input cannot be computed; the message names each problem and its fix."""

    def __init__(self, problems: list[str], source: str = "config"):
        self.problems = problems
        super().__init__(f"{source} cannot be run:\n" + "\n".join(f"  - {p}" for p in problems))


def schema_problems(config: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """One sentence per place where *config* breaks *schema*, naming the key and the fix."""
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(schema).iter_errors(config), key=lambda e: list(map(str, e.path)))
    return [_explain(error) for error in errors]


def _explain(error) -> str:
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path).lstrip(".") or "config"
    value, rule, schema = error.instance, error.validator, error.schema
    if rule == "additionalProperties":
        known = list(schema.get("properties", {}))
        unknown = sorted(set(value) - set(known))
        return "; ".join(_unknown_key(key, name, known) for name in unknown)
    if rule == "enum":
        return f"`{key}` is {value!r}; use one of {', '.join(map(str, error.validator_value))}"
    if rule == "type":
        return f"`{key}` is {value!r}, which is not of type {error.validator_value}"
    if rule in ("minimum", "exclusiveMinimum"):
        bound = "at least" if rule == "minimum" else "greater than"
        return f"`{key}` is {value}; it must be {bound} {error.validator_value}"
    if rule == "pattern" and key == "name":
        return (
            f"`name` is {value!r}; it becomes the folder results/<name>, so use letters, digits, '.', '_' and '-' "
            "only, starting with a letter or digit (no '/', no '..')"
        )
    if rule == "pattern":
        return f"`{key}` is {value!r}, which does not match {error.validator_value}"
    if rule == "propertyNames":
        return f"`{key}` has the key {value!r}; {_explain_name(key)}"
    if rule == "required":
        return f"`{key}` lacks {error.message.split(' is ')[0]}"
    if rule == "oneOf" and key == "config":
        return (
            "give either `molecule` and `model_chemistries`, or `input` (a QCSchema ManyBodyInput JSON file), "
            "not both and not neither"
        )
    if rule in ("minItems", "minProperties"):
        return f"`{key}` is empty; give at least one entry"
    return f"`{key}`: {error.message}"


def _explain_name(key: str) -> str:
    if key == "levels":
        return "`levels` keys are n-body levels (1, 2, ...) or `supersystem`"
    return "names are letters, digits, '.', '_', '+' and '-', starting with a letter or digit"


def _unknown_key(where: str, name: str, known: list[str]) -> str:
    place = "" if where == "config" else f" in `{where}`"
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean `{close[0]}`?" if close else f"known keys: {', '.join(known)}"
    return f"unknown key `{name}`{place}: {hint}"


def checked_manybody_input(config: dict[str, Any]):
    """The run's ManyBodyInput, once the molecule, levels and programs are known to be computable.
    Raises ConfigError listing every problem found."""
    from pydantic import ValidationError

    from mbpipe.config import manybody_input

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
    from mbpipe.molecule import read_molecule

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


def program_problems(mbin) -> list[str]:
    """Each model chemistry's program is known to QCEngine, found on this machine, and able to do
    what is asked of it."""
    import qcengine

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
        if not qcengine.get_program(program, check=False).found():
            problems.append(f"{where} is not installed on this machine (QCEngine cannot find it); {_install(program)}")
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
