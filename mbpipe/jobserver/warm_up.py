"""The job server's start-up: what every job would otherwise do first, done once for all its children.
Run on its own (`python -m mbpipe.jobserver.warm_up nwchem mopac`, as scripts/setup does), it leaves
this machine's survey and the programs' versions in the cache for the first run."""

from __future__ import annotations

import sys
import threading


def warm_up(programs: list[str]) -> None:
    """Import QCEngine and QCManyBody, have QCEngine survey the machine, register mbpipe's own programs
    and load the in-process ones (PySCF), and find each program's version; the survey and the versions
    come from this machine's cache where they are still valid (mbpipe/jobserver/machine_survey.py).
    No calculation runs here: a forked child inherits no threads, and an OpenMP pool that a
    calculation here started would hang every child.  *programs* are as a config names them, before
    it is checked: a name QCEngine does not know is left to the check's refusal."""
    from mbpipe.jobserver import machine_survey

    cache = machine_survey.cache_file()
    saved = machine_survey.read_cache(cache)
    # A survey that is not cached waits mostly on a Python of py-cpuinfo's own (1.3 s): the imports go
    # on meanwhile.  Nothing else asks QCEngine for its settings until the survey is done: QCEngine's
    # settings are not safe to read from two threads while they are first filled in.
    survey = threading.Thread(target=machine_survey.survey_cpu, args=(saved,))
    survey.start()
    import qcengine

    import mbpipe.pipeline.assemble  # noqa: F401  (QCManyBody, for the gate, level and assembly jobs)
    import mbpipe.pipeline.fragment  # noqa: F401
    import mbpipe.pipeline.gate  # noqa: F401
    from mbpipe.programs import preload, register_programs
    from mbpipe.programs.threads import one_thread_per_pool

    survey.join()
    register_programs()
    programs = [name for name in programs if name in qcengine.list_all_programs()]
    preload(programs)
    one_thread_per_pool()
    machine_survey.probe_versions(programs, saved)
    machine_survey.save(cache, programs, saved)


def warm_up_for_closing() -> None:
    """Import matplotlib and pandas, which only the commands that close a run use (0.5-0.7 s): the
    closing server's warm-up, beside the server that takes the fragments (mbpipe/jobserver/server.py)."""
    import mbpipe.report.files  # noqa: F401


if __name__ == "__main__":
    # At setup, the survey and the versions go into this machine's cache, so that the first run's job
    # server, like every later one's, finds them there.
    warm_up(sys.argv[1:])
