"""The one place mbpipe reaches past QCEngine's documented surface: handing it what an earlier process
found out about this machine (py-cpuinfo's survey of the CPU, a program's version) instead of letting
it ask again, and having the job server compile the NWChem harvester's regular expressions once for
all the jobs it forks.

QCEngine has no setting for either.  ``qcengine.config.get_global`` asks py-cpuinfo for the CPU
(``cpuinfo.get_cpu_info()``, which starts a Python of its own: 1.3 s) the first time anything asks for
QCEngine's settings, and harnesses of external programs keep each version they probed in their
``version_cache``, keyed by the program's path (NWChem runs itself once for it: 0.5 s).  Both
assumptions hold for QCEngine 0.52 (pinned in pyproject.toml) and are checked by
tests/test_machine_survey.py and tests/test_output_patterns.py, which fail on a version that breaks them.  Upstream, a
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


def compile_nwchem_output_patterns() -> None:
    """Have Python's ``re`` compile, in this process, the regular expressions QCEngine's NWChem harvester
    searches each output for (about 90; 0.25 s of CPU on a 2-core machine, more than the rest of a small
    calculation's parse), so that the jobs a job server forks find them in ``re``'s cache.  The
    harvester reads an empty output: it searches it for every pattern, then fails for want of a
    molecule, which is expected here."""
    from qcengine.programs.nwchem.harvester import harvest_outfile_pass

    try:
        harvest_outfile_pass("")
    except AttributeError:
        pass
