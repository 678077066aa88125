"""The one place mbpipe reaches past QCEngine's documented surface: handing it what an earlier process
found out about this machine (py-cpuinfo's survey of the CPU, a program's version) instead of letting
it ask again.

QCEngine has no setting for either.  ``qcengine.config.get_global`` asks py-cpuinfo for the CPU
(``cpuinfo.get_cpu_info()``, which starts a Python of its own: 1.3 s) the first time anything asks for
QCEngine's settings, and harnesses of external programs keep each version they probed in their
``version_cache``, keyed by the program's path (NWChem runs itself once for it: 0.5 s).  Both
assumptions hold for QCEngine 0.52 (pinned in pyproject.toml) and are checked by
tests/test_machine_survey.py, which fails on a version that breaks them.  Upstream, a
``QCENGINE_CPU_INFO``-style setting would make this module unnecessary.
"""

from __future__ import annotations

from contextlib import contextmanager

import cpuinfo
import qcengine


@contextmanager
def cpu_survey_answered_by(cpu_info: dict | None):
    """Inside, py-cpuinfo answers QCEngine with *cpu_info* (a copy of an earlier ``get_cpu_info()``)
    instead of surveying the CPU; with None it surveys as usual.  Everything else QCEngine reads about
    the machine (host name, available memory, cores this process may use) it still reads itself."""
    if cpu_info is None:
        yield
        return
    surveyed = cpuinfo.get_cpu_info
    cpuinfo.get_cpu_info = lambda: dict(cpu_info)
    try:
        yield
    finally:
        cpuinfo.get_cpu_info = surveyed


def probed_versions(program: str) -> dict[str, str]:
    """The versions *program*'s harness has probed in this process, by the program's path; empty for a
    harness that keeps none (an in-process program, or one with a fixed version)."""
    return dict(getattr(qcengine.get_program(program, check=False), "version_cache", None) or {})


def give_versions(program: str, versions: dict[str, str]) -> None:
    """Tell *program*'s harness the *versions* (by path) it would otherwise probe."""
    cache = getattr(qcengine.get_program(program, check=False), "version_cache", None)
    if isinstance(cache, dict):
        cache.update(versions)
