"""The embedding charges of each fragment: from a fixed charge model (TIP3P water) or given atom by atom,
checked to sum to each fragment's charge."""

from __future__ import annotations

from typing import Any

# TIP3P (Jorgensen et al., J. Chem. Phys. 79, 926 (1983)), e.
TIP3P = {"O": -0.834, "H": 0.417}
MODELS = {"tip3p": TIP3P}
# How far the charges of a fragment may sum from its charge, e: the rounding of charges given to 3 decimals.
SUM_TOLERANCE = 1e-6


class EmbeddingError(ValueError):
    """The embedding charges cannot be used; the message names the fragment and the fix."""


def fragment_embedding_charges(charges: str | list[list[float]], molecule) -> dict[int, list[float]]:
    """QCManyBody's ``embedding_charges`` (1-based fragment -> atom charges in e) for *molecule*, from the
    config's ``embedding.charges``: a model name or one list per fragment. EmbeddingError for charges
    that do not fit the fragments or do not sum to their charges."""
    symbols = [[molecule.symbols[i] for i in fragment] for fragment in molecule.fragments]
    if isinstance(charges, str):
        per_fragment = [_model_charges(charges, index, atoms) for index, atoms in enumerate(symbols, 1)]
    else:
        if len(charges) != len(symbols):
            raise EmbeddingError(
                f"`embedding.charges` gives {len(charges)} lists but the molecule has {len(symbols)} fragments; "
                "give one list of atom charges per fragment"
            )
        per_fragment = [[float(q) for q in fragment] for fragment in charges]
    problems = charge_problems(dict(enumerate(per_fragment, 1)), molecule)
    if problems:
        raise EmbeddingError("; ".join(problems))
    return dict(enumerate(per_fragment, 1))


def _model_charges(model: str, index: int, atoms: list[str]) -> list[float]:
    table = MODELS[model]
    if sorted(atoms) != ["H", "H", "O"]:
        raise EmbeddingError(
            f"`embedding.charges: {model}` is a water model, but fragment {index} is {''.join(atoms)}; give the "
            "charges of every fragment as lists instead"
        )
    return [table[symbol] for symbol in atoms]


def charge_problems(charges: dict[Any, list[float]], molecule) -> list[str]:
    """Each fragment's charges, one per atom, sum to the fragment's charge (QCManyBody does not check)."""
    problems = []
    for index, fragment in enumerate(molecule.fragments, 1):
        given = charges.get(index, charges.get(str(index)))
        if given is None:
            problems.append(f"embedding charges: fragment {index} has none; give one charge per atom")
            continue
        if len(given) != len(fragment):
            problems.append(
                f"embedding charges: fragment {index} has {len(fragment)} atoms but {len(given)} charges; "
                "give one charge per atom, in the molecule's atom order"
            )
            continue
        expected = molecule.fragment_charges[index - 1]
        if abs(sum(given) - expected) > SUM_TOLERANCE:
            problems.append(
                f"embedding charges of fragment {index} sum to {sum(given):+.6f} e but the fragment's charge is "
                f"{expected:+g}; change them to sum to {expected:+g}"
            )
    return problems
