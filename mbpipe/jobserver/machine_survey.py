"""What QCEngine finds out about a machine before its first calculation, found out once per machine.

Every job server would otherwise ask again what is the same on every run of the same machine:
py-cpuinfo's survey of the CPU (1.3 s: it starts a Python of its own) and each program's version
(NWChem runs itself for it: 0.5 s).  The answers are kept in the user's cache folder
(``$XDG_CACHE_HOME/mbpipe``, by default ``~/.cache/mbpipe``), one file per host, and used only while
what they depend on is unchanged: the CPU survey is keyed by the host name, the CPU model and count
(/proc/cpuinfo), the Python, py-cpuinfo and QCEngine versions; a program's version by its binary's
path, size and modification time and QCEngine's version.  Anything else (no cache, a changed key, a
cache that cannot be read or written) means QCEngine surveys and probes as it always did.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import sys
from pathlib import Path

import cpuinfo
import qcengine

from mbpipe.base.jsonio import write_text_atomic
from mbpipe.programs import qcengine_compat

# Raised when what the file holds changes meaning; an older file is then ignored.
FORMAT = 1


def cache_file() -> Path:
    """This host's survey file in the user's cache folder (XDG base directories)."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "mbpipe" / f"machine-{socket.gethostname()}.json"


def machine_key() -> dict:
    """What a survey of the CPU depends on: a change in any of it means surveying again."""
    return {
        "format": FORMAT,
        "hostname": socket.gethostname(),
        "cpu_models": _cpu_models(),
        "cpu_count": os.cpu_count(),
        "architecture": platform.machine(),
        "python": sys.version,
        "py-cpuinfo": cpuinfo.CPUINFO_VERSION_STRING,
        "qcengine": qcengine.__version__,
    }


def _cpu_models() -> list[str]:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return [platform.processor()]
    return sorted({line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")})


def binary_key(path: str) -> dict | None:
    """What a program's version depends on; None when *path* is not there."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return {"size": status.st_size, "mtime_ns": status.st_mtime_ns, "qcengine": qcengine.__version__}


def read_cache(path: Path) -> dict:
    """The saved survey, or an empty one when there is none or it cannot be read."""
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(saved, dict) or not isinstance(saved.get("versions", {}), dict):
        return {}
    return saved


def survey_cpu(saved: dict) -> None:
    """Have QCEngine survey this machine (``qcengine.config.get_global``), with the saved survey of
    the CPU where it is still this machine's."""
    still_valid = saved.get("machine") == machine_key()
    with qcengine_compat.cpu_survey_answered_by(saved.get("cpuinfo") if still_valid else None):
        qcengine.config.get_global()


def probe_versions(programs: list[str], saved: dict) -> None:
    """Have QCEngine find each of *programs*' versions, with the saved ones whose binary is unchanged.
    A program that is missing is left alone: each calculation then fails with its own message."""
    for name in programs:
        known = {
            path: entry["version"]
            for path, entry in saved.get("versions", {}).get(name, {}).items()
            if binary_key(path) == entry.get("binary")
        }
        qcengine_compat.give_versions(name, known)
        try:
            qcengine.get_program(name).get_version()
        except Exception:
            pass


def save(path: Path, programs: list[str], saved: dict) -> None:
    """Keep what this process's QCEngine found, if it differs from what *saved* holds; a cache that
    cannot be written is no error."""
    versions = {
        name: {path: {"version": version, "binary": binary_key(path)}
               for path, version in qcengine_compat.probed_versions(name).items() if binary_key(path)}
        for name in programs
    }  # fmt: skip
    survey = {
        "machine": machine_key(),
        "cpuinfo": qcengine.config.get_global("cpuinfo"),
        "versions": {**saved.get("versions", {}), **{name: found for name, found in versions.items() if found}},
    }
    if survey == saved:
        return
    try:
        write_text_atomic(path, json.dumps(survey, indent=1, sort_keys=True), durable=False)
    except OSError:
        pass
