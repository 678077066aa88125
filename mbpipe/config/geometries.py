"""Many geometries in one run: the frames of a trajectory, the isomers of a database, or several files.

A config with `frames` (a multi-geometry XYZ) or `molecules` (several files) describes one many-body
expansion per geometry.  Each geometry becomes a run of its own, named ``<name>/<geometry>``, so that
its files live in ``results/<name>/<geometry>/`` exactly as a one-geometry run's live in
``results/<name>/``; all of them are planned into one Snakemake graph.
"""

from __future__ import annotations

import glob
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mbpipe.config.crystal import crystal_nmers, is_crystal, nmer_config
from mbpipe.config.errors import ConfigError
from mbpipe.molecules.cluster_file import count_geometries
from mbpipe.molecules.errors import MoleculeError
from mbpipe.molecules.xyz import parse_xyz

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


@dataclass(frozen=True)
class Geometry:
    name: str  # the folder under results/<name>/: frame-0007, or the file's stem
    molecule: str  # the file it comes from
    frame: int | None  # its place in that file (0-based); None for a file of one geometry
    comment: str | None  # the file's comment line for it (e.g. an energy from a database), if any

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def is_many_geometries(config: dict[str, Any]) -> bool:
    """A config of several geometries, or of a crystal (one geometry per unique n-mer, mbpipe/config/crystal.py)."""
    return "frames" in config or "molecules" in config or is_crystal(config)


def geometries(config: dict[str, Any]) -> list[Geometry]:
    """The geometries a validated config names, in a stable order (file order, then frame order)."""
    if is_crystal(config):
        return [Geometry(name, molecule, None, comment) for name, molecule, comment in crystal_nmers(config)]
    files = config["molecules"] if "molecules" in config else [config["molecule"]]
    several_files = len(files) > 1
    found: list[Geometry] = []
    for path in files:
        comments = _comments(Path(path))
        frames = _frames(config.get("frames"), len(comments), path)
        for frame in frames:
            name = Path(path).stem if several_files else ""
            if frame is not None:
                name = f"{name}-frame-{frame:04d}" if name else f"frame-{frame:04d}"
            found.append(Geometry(name or Path(path).stem, str(path), frame, comments[frame or 0]))
    _refuse_repeated_names(found)
    return found


def geometry_config(config: dict[str, Any], geometry: Geometry) -> dict[str, Any]:
    """The config of one geometry's run: the whole config's settings, its own molecule and frame."""
    if is_crystal(config):
        return nmer_config(config, geometry)
    single = {key: value for key, value in config.items() if key not in ("molecules", "frames", "frame")}
    single["name"] = f"{config['name']}/{geometry.name}"
    single["molecule"] = geometry.molecule
    if geometry.frame is not None:
        single["frame"] = geometry.frame
    return single


def run_configs(config: dict[str, Any], found: list[Geometry] | None = None) -> dict[str, dict[str, Any]]:
    """Run name -> config of every run the config describes: itself alone, or one per geometry (*found*,
    when the caller has read them already)."""
    if not is_many_geometries(config):
        return {config["name"]: config}
    runs = {}
    for geometry in found or geometries(config):
        single = geometry_config(config, geometry)
        runs[single["name"]] = single
    return runs


def expand_molecule_globs(patterns: list[str], base_dir: Path) -> list[str]:
    """The files `molecules` names, each pattern relative to the config's folder and expanded in
    sorted order; a pattern that matches nothing is refused."""
    files, problems = [], []
    for pattern in patterns:
        full = str(base_dir / Path(pattern).expanduser())
        matched = sorted(glob.glob(full)) if glob.has_magic(full) else [full]
        if not matched:
            problems.append(f"`molecules`: {pattern!r} matches no file (looked in {base_dir})")
        files += [str(Path(path).resolve()) for path in matched]
    if problems:
        raise ConfigError(problems)
    return files


def _frames(selection, available: int, path: str) -> list[int | None]:
    """The frames of a file of *available* geometries that *selection* (the config's `frames`) picks."""
    if selection is None:
        if available > 1:
            raise ConfigError(
                [f"`molecules`: {path} holds {available} geometries; set `frames` (all, a list, or a range such "
                 "as \"0-9\") to say which to compute"]
            )  # fmt: skip
        return [None]
    if selection == "all":
        return list(range(available))
    picked = _parse_selection(selection)
    outside = [frame for frame in picked if not 0 <= frame < available]
    if outside:
        raise ConfigError(
            [f"`frames` asks for frame {outside[0]} but {path} holds {available} geometries (0 to {available - 1})"]
        )
    return picked


def _parse_selection(selection) -> list[int]:
    """Frame numbers from a list of integers or a string such as "0-49" or "0-4, 7, 10-12"."""
    if isinstance(selection, list):
        return list(dict.fromkeys(selection))
    picked = []
    for part in str(selection).split(","):
        match = _RANGE.match(part)
        if not match:
            raise ConfigError(
                [f"`frames` is {selection!r}; use all, a list of frame numbers, or ranges such as \"0-49\" or "
                 "\"0-4, 7\" (0-based, both ends included)"]
            )  # fmt: skip
        first, last = int(match[1]), int(match[2] or match[1])
        if last < first:
            raise ConfigError([f'`frames`: the range {part.strip()!r} runs backwards; write it as "{last}-{first}"'])
        picked += range(first, last + 1)
    return list(dict.fromkeys(picked))


def _comments(path: Path) -> list[str | None]:
    """The comment line of each geometry in the file (None where it has none); its length is the
    number of geometries."""
    try:
        if path.suffix.lower() == ".json":
            return [None] * count_geometries(path)
        if not path.is_file():
            raise MoleculeError([f"`molecules`: the file {path} does not exist"])
        return [geometry.comment for geometry in parse_xyz(path.read_text(), str(path))]
    except MoleculeError as err:
        raise ConfigError(err.problems) from None


def _refuse_repeated_names(found: list[Geometry]) -> None:
    seen: dict[str, str] = {}
    for geometry in found:
        if geometry.name in seen and seen[geometry.name] != geometry.molecule:
            raise ConfigError(
                [f"`molecules`: {seen[geometry.name]} and {geometry.molecule} would share the results folder "
                 f"{geometry.name!r}; give the files different names"]
            )  # fmt: skip
        seen[geometry.name] = geometry.molecule
