"""The unique n-mers of a crystal run, found once and kept in results/<name>/crystal.json.

Each unique n-mer becomes a run of its own, ``<name>/<order>mer-<k>`` (its molecule in
results/<name>/<order>mer-<k>/molecule.json, a QCSchema molecule with one fragment per crystal molecule),
planned and computed like any geometry of a many-geometry run.  The catalogue is remade only when the
CIF or the cutoffs change: Snakemake reads the workflow in every job, and finding the trimers of a large
cell takes seconds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from mbpipe.base import layout
from mbpipe.base.jsonio import read_json, write_json_atomic, write_text_if_changed

CATALOGUE_FORMAT = 1


@dataclass(frozen=True)
class CatalogueEntry:
    nmer: str  # its run's folder under results/<name>/: 2mer-0001
    order: int
    replicas: dict[int, int]  # reference molecule (0-based, in the cell) -> how many such n-mers hold it
    separation_angstrom: float  # the largest closest-atom distance over its pairs of molecules
    com_separation_angstrom: float  # the largest centre-of-mass distance over its pairs
    molecule: str  # its QCSchema molecule file


@dataclass(frozen=True)
class Catalogue:
    crystal: str
    space_group: str
    molecules_per_cell: int
    references: dict[int, int]  # reference molecule -> molecules of the cell equivalent to it
    nmers: list[CatalogueEntry]


def catalogue_file(name: str) -> Path:
    return layout.path(layout.CRYSTAL_CATALOGUE, name=name)


def ensure_catalogue(
    name: str, cif: str, cutoffs: dict[int, float], com_cutoffs: dict[int, float] | None = None
) -> Catalogue:
    """The unique n-mers of crystal run *name*: read from its crystal.json when that was made from the same
    CIF and cutoffs, else found now and written, with each n-mer's molecule file."""
    key = _key(cif, cutoffs, com_cutoffs)
    stored_file = catalogue_file(name)
    if stored_file.exists():
        stored = read_json(stored_file)
        if stored.get("key") == key:
            return _from_json(stored)
    return _make(name, cif, cutoffs, com_cutoffs or {}, key)


def _make(name: str, cif: str, cutoffs, com_cutoffs, key: str) -> Catalogue:
    from mbpipe.crystal.cif import read_crystal
    from mbpipe.crystal.nmers import nmers_around
    from mbpipe.crystal.unique import unique_nmers

    crystal = read_crystal(cif)
    every = [n for reference in crystal.references for n in nmers_around(crystal, reference, cutoffs, com_cutoffs)]
    unique = sorted(
        unique_nmers(crystal, every),
        key=lambda u: (u.order, round(u.representative.separation, 6), round(u.representative.com_separation, 6)),
    )
    entries, counters = [], {}
    for nmer in unique:
        counters[nmer.order] = counters.get(nmer.order, 0) + 1
        label = f"{nmer.order}mer-{counters[nmer.order]:04d}"
        molecule = layout.path(layout.RESULTS, name=f"{name}/{label}") / "molecule.json"
        write_text_if_changed(molecule, json.dumps(_schema_molecule(label, nmer), indent=1) + "\n")
        entries.append(
            CatalogueEntry(
                label,
                nmer.order,
                dict(sorted(nmer.replicas.items())),
                nmer.representative.separation,
                nmer.representative.com_separation,
                str(molecule.resolve()),
            )
        )
    catalogue = Catalogue(
        cif,
        crystal.space_group,
        len(crystal.molecules),
        {reference: crystal.orbit_size(reference) for reference in crystal.references},
        entries,
    )
    write_json_atomic(catalogue_file(name), {"key": key, **_to_json(catalogue)})
    return catalogue


def _schema_molecule(label: str, nmer) -> dict:
    from mbpipe.base.units import ANGSTROM_TO_BOHR

    to_bohr = ANGSTROM_TO_BOHR
    return {
        "schema_name": "qcschema_molecule",
        "schema_version": 2,
        "name": label,
        "symbols": list(nmer.symbols),
        "geometry": (nmer.geometry * to_bohr).ravel().tolist(),
        "fragments": nmer.fragments,
        "fix_com": True,
        "fix_orientation": True,
    }


def _key(cif: str, cutoffs, com_cutoffs) -> str:
    settings = {
        "format": CATALOGUE_FORMAT,
        "cutoffs": {str(k): v for k, v in sorted(cutoffs.items())},
        "com_cutoffs": {str(k): v for k, v in sorted((com_cutoffs or {}).items())},
    }
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    digest.update(Path(cif).read_bytes())
    return digest.hexdigest()


def _to_json(catalogue: Catalogue) -> dict:
    return {
        "crystal": catalogue.crystal,
        "space_group": catalogue.space_group,
        "molecules_per_cell": catalogue.molecules_per_cell,
        "references": {str(k): v for k, v in catalogue.references.items()},
        "nmers": [
            {**entry.__dict__, "replicas": {str(k): v for k, v in entry.replicas.items()}} for entry in catalogue.nmers
        ],
    }


def _from_json(stored: dict) -> Catalogue:
    return Catalogue(
        stored["crystal"],
        stored["space_group"],
        stored["molecules_per_cell"],
        {int(k): v for k, v in stored["references"].items()},
        [
            CatalogueEntry(**{**entry, "replicas": {int(k): v for k, v in entry["replicas"].items()}})
            for entry in stored["nmers"]
        ],
    )


def read_catalogue(name: str) -> Catalogue:
    return _from_json(read_json(catalogue_file(name)))


def describe(catalogue: Catalogue) -> list[str]:
    """Lines for `mbpipe plan`: the cell, its references, and the unique n-mers of each order with their
    replicas (CrystaLattE's test mode)."""
    references = ", ".join(f"molecule {r + 1} ({n} in the cell)" for r, n in catalogue.references.items())
    lines = [
        f"crystal {catalogue.crystal}: {catalogue.space_group}, {catalogue.molecules_per_cell} molecules per cell, "
        f"{len(catalogue.references)} reference molecules: {references}"
    ]
    for order in sorted({entry.order for entry in catalogue.nmers}):
        entries = [entry for entry in catalogue.nmers if entry.order == order]
        lines.append(
            f"  {order}-mers: {len(entries)} unique, standing for {sum(sum(e.replicas.values()) for e in entries)} "
            "around the references"
        )
        lines += [
            f"    {e.nmer}  replicas {sum(e.replicas.values()):>4}  separation {e.separation_angstrom:7.3f} A  "
            f"centres of mass {e.com_separation_angstrom:7.3f} A"
            for e in entries
        ]
    return lines
