"""The forces on the embedding charges, carried back to the atoms they sit on.

A calculation's charges sit on atoms outside its molecule, so its gradient from the program covers its
own atoms only; the harness gives the gradient with respect to each charge's position beside it
(``extras["embedding_charge_gradient"]``). Moving an atom moves its charge in every calculation that
sees it, so the EE-MBE gradient, the derivative of the EE-MBE energy, is QCManyBody's assembly of the
calculations' own gradients plus the same assembly of the charges' gradients placed on their atoms.
QCManyBody's analysis is linear in the calculations' numbers and takes gradients only in the shape of
each calculation's own atoms, so the charges' part is assembled as energies, one Cartesian coordinate
at a time: 3N analyses of N atoms, milliseconds each for a small cluster.
"""

from __future__ import annotations

import numpy as np

# How far a charge may be from the atom it stands on, bohr: both come from the same geometry.
SAME_POSITION = 1e-8


def charge_gradients(core, fragment_results: dict) -> dict[str, np.ndarray]:
    """QCManyBody label -> the gradient of that calculation's energy with respect to the atoms its
    embedding charges sit on, in the whole cluster's shape (natom, 3); zero elsewhere."""
    geometry = np.asarray(core.molecule.geometry).reshape(-1, 3)
    gradients = {}
    for label, result in fragment_results.items():
        charges = (result.molecule.extras or {}).get("embedding_charges") or []
        forces = result.extras.get("embedding_charge_gradient")
        if charges and forces is None:
            raise ValueError(f"fragment {label} was computed with embedding charges but has no gradient for them")
        gradient = np.zeros_like(geometry)
        for (_, position), force in zip(charges, forces or [], strict=True):
            distances = np.linalg.norm(geometry - np.asarray(position), axis=1)
            atom = int(np.argmin(distances))
            if distances[atom] > SAME_POSITION:
                raise ValueError(f"fragment {label} has an embedding charge at {position} bohr, on no atom")
            gradient[atom] += force
        gradients[label] = gradient
    return gradients


def add_charge_forces(core, analyzed: dict, fragment_results: dict) -> dict:
    """*analyzed* (QCManyBody's ``ManyBodyCore.analyze`` of an embedded gradient run) with the forces on
    the embedding charges added to every assembled gradient."""
    gradients = charge_gradients(core, fragment_results)
    natom = len(core.molecule.symbols)
    per_coordinate = [
        core.analyze({label: {"energy": float(g.flat[k])} for label, g in gradients.items()}) for k in range(3 * natom)
    ]

    def assembled(section: str, name=None) -> np.ndarray:
        """The charges' part as QCManyBody assembles energies under *section* (and *name* in it)."""
        values = [a[section] if name is None else a[section][name] for a in per_coordinate]
        return np.array(values).reshape(natom, 3)

    analyzed["ret_gradient"] = analyzed["ret_gradient"] + assembled("ret_energy")
    for name in [name for name in analyzed["results"] if "gradient" in name]:
        analyzed["results"][name] = analyzed["results"][name] + assembled("results", name.replace("gradient", "energy"))
    for bsse, by_level in analyzed["gradient_body_dict"].items():
        for level in by_level:
            by_level[level] = by_level[level] + assembled("energy_body_dict", f"{level}{bsse}")
    return analyzed
