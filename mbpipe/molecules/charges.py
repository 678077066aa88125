"""Every fragment's charge and multiplicity, decided before QCElemental sees the molecule.

Given only some of them, QCElemental tries every assignment of the missing ones to the fragments;
that takes minutes and gigabytes beyond about 25 fragments.  So each is set here: from the config's
`fragment_charges` / `fragment_multiplicities` (one per fragment), else from the file, else neutral
with the lowest multiplicity the electron count allows.  The molecule's total charge is their sum; its
multiplicity is the file's where the file states one the fragments can couple to, else high spin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mbpipe.molecules.errors import MoleculeError


@dataclass(frozen=True)
class Charges:
    fragment_charges: list[int]
    fragment_multiplicities: list[int]
    molecular_charge: int
    molecular_multiplicity: int


def assign_charges(
    fragments: Sequence[Sequence[str]],
    where: str,
    *,
    stated_charges: Sequence[int | None] | None = None,
    stated_multiplicities: Sequence[int | None] | None = None,
    charges: Sequence[int] | None = None,
    multiplicities: Sequence[int] | None = None,
    total_charge: int | None = None,
    total_multiplicity: int | None = None,
) -> Charges:
    """Charges and multiplicities of *fragments* (each a list of element symbols).

    *stated_…* are the file's, per fragment, None where it says nothing; *charges* and
    *multiplicities* are the config's overrides; *total_…* what the file states for the whole
    molecule, if anything.  *where* names the input in messages.  Raises MoleculeError naming every
    fragment that cannot be.
    """
    from qcelemental import periodictable
    from qcelemental.molutil import molecular_formula_from_symbols

    n = len(fragments)
    problems = _length_problems(charges, "fragment_charges", n, where) + _length_problems(
        multiplicities, "fragment_multiplicities", n, where
    )
    if problems:
        raise MoleculeError(problems)
    stated_charges = stated_charges or [None] * n
    stated_multiplicities = stated_multiplicities or [None] * n
    protons = [sum(periodictable.to_Z(symbol) for symbol in fragment) for fragment in fragments]
    formulas = [molecular_formula_from_symbols(list(fragment), order="hill") for fragment in fragments]

    fragment_charges, fragment_multiplicities = [], []
    for i in range(n):
        where_i = f"{where}: fragment {i + 1} ({formulas[i]})"
        charge, charge_from = _first(where_i, "charge", i, (charges, "config"), (stated_charges, "file"))
        # The file's multiplicity goes with the file's charge, not with one the config sets.
        file_multiplicities = stated_multiplicities if charge_from != "config" else None
        multiplicity, multiplicity_from = _first(
            where_i, "multiplicity", i, (multiplicities, "config"), (file_multiplicities, "file")
        )
        charge = charge if charge is not None else 0
        electrons = protons[i] - charge
        if multiplicity is None:
            multiplicity = 1 if electrons % 2 == 0 else 2
        problem = _fragment_problem(electrons, charge, multiplicity)
        if problem:
            fix = _fix(charge_from, multiplicity_from)
            problems.append(f"{where_i} has charge {charge} and {problem}; {fix}")
        fragment_charges.append(charge)
        fragment_multiplicities.append(multiplicity)
    if problems:
        raise MoleculeError(problems)

    molecular_charge = sum(fragment_charges)
    if total_charge is not None:
        total_charge = _integer(total_charge, f"{where}: the molecule", "charge")
    if total_charge is not None and total_charge != molecular_charge:
        raise MoleculeError([_charge_total_problem(total_charge, fragment_charges, formulas, protons, where)])
    high_spin = sum(m - 1 for m in fragment_multiplicities) + 1
    if total_multiplicity is None:
        return Charges(fragment_charges, fragment_multiplicities, molecular_charge, high_spin)
    # The largest fragment spin, opposed by all the others, is the lowest the fragments couple to.
    low_spin = max(2 * max(fragment_multiplicities) - high_spin, 2 - high_spin % 2)
    if not (low_spin <= total_multiplicity <= high_spin and (total_multiplicity - high_spin) % 2 == 0):
        raise MoleculeError(
            [f"{where}: the molecule's multiplicity {total_multiplicity} cannot come from its fragments' "
             f"multiplicities {fragment_multiplicities}, which couple to {_spins(low_spin, high_spin)}; change the "
             "file's molecular_multiplicity or set `fragment_multiplicities`"]
        )  # fmt: skip
    return Charges(fragment_charges, fragment_multiplicities, molecular_charge, total_multiplicity)


def _length_problems(values, key: str, n: int, where: str) -> list[str]:
    if values is None or len(values) == n:
        return []
    return [f"`{key}` has {len(values)} entries but {where} has {n} fragments; give one per fragment, in order"]


def _first(where: str, what: str, index: int, *sources) -> tuple[int | None, str]:
    """The *what* of fragment *index* from the first source that has one, and that source's name."""
    for values, name in sources:
        if values is not None and values[index] is not None:
            return _integer(values[index], where, what), name
    return None, "default"


def _integer(value, where: str, what: str) -> int:
    # QCSchema files write charges as floats (0.0), which is fine while they are whole numbers.
    if float(value) != round(float(value)):
        raise MoleculeError([f"{where} has {what} {value}, not a whole number; give whole numbers"])
    return round(float(value))


def _fragment_problem(electrons: int, charge: int, multiplicity: int) -> str | None:
    if electrons < 0:
        return f"multiplicity {multiplicity}, which leaves {electrons} electrons"
    if multiplicity < 1 or multiplicity > electrons + 1:
        return f"multiplicity {multiplicity}, impossible with {electrons} electrons"
    if (electrons + multiplicity) % 2 == 0:
        parity, needed = ("odd", "even") if electrons % 2 else ("even", "odd")
        return (
            f"multiplicity {multiplicity} with an {parity} number of electrons ({electrons}); "
            f"the multiplicity must be {needed}"
        )
    return None


def _fix(charge_from: str, multiplicity_from: str) -> str:
    origins = {charge_from, multiplicity_from}
    if "config" in origins:
        return "correct `fragment_charges` / `fragment_multiplicities` in the config"
    if "file" in origins:
        return (
            "correct the fragment's `charge multiplicity` in the file (the line after its `--`), or override it "
            "with `fragment_charges` / `fragment_multiplicities`"
        )
    return "set its charge with `fragment_charges` (and `fragment_multiplicities` if not the lowest)"


def _charge_total_problem(total, fragment_charges, formulas, protons, where) -> str:
    listed = ", ".join(f"{i + 1} {f} {c:+d}" for i, (f, c) in enumerate(zip(formulas, fragment_charges, strict=True)))
    odd = [f"{i + 1} ({formulas[i]})" for i, c in enumerate(fragment_charges) if (protons[i] - c) % 2]
    hint = f"; fragments with an odd electron count, the likely ions: {', '.join(odd)}" if odd else ""
    return (
        f"{where}: the molecule's charge is {total:+d} but its fragments' charges add up to "
        f"{sum(fragment_charges):+d} ({listed}); set `fragment_charges` so they add up to {total:+d}{hint}"
    )


def _spins(low: int, high: int) -> str:
    values = list(range(low, high + 1, 2))
    return f"multiplicity {values[0]}" if len(values) == 1 else "multiplicities " + ", ".join(map(str, values))
