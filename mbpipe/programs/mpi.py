"""A session directory of its own for each calculation's MPI programs.

NWChem from Debian is an Open MPI program: each run starts as an MPI singleton whose daemon keeps its
files in one directory per host and user, `$TMPDIR/ompi.<host>.<uid>`, made by the first run that
needs it and removed by the last one to leave it.  Calculations side by side race on it: Open MPI 4
creates it, then checks that it exists, and a run that ends in between takes it away, so that the
calculation starting fails before NWChem reads its input ("A call to mkdir was unable to create the
desired directory ... File exists", open-mpi/ompi#8510), as a fragment of a 2-core water-4 run did.
Within `private_mpi_session` the programs a calculation starts keep their session files in a folder
of the calculation's own, removed after it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from mbpipe.programs.threads import environment

# Where Open MPI 4 puts its session directory tree instead of $TMPDIR.
SESSION_BASE_VARIABLE = "OMPI_MCA_orte_tmpdir_base"


@contextmanager
def private_mpi_session() -> Iterator[None]:
    """Within this block the MPI programs this process starts keep their session files in a folder of
    their own, in this process's temporary folder (Python's, from $TMPDIR as Snakemake or the batch
    scheduler set it)."""
    folder = tempfile.mkdtemp(prefix="mbpipe-mpi-")
    try:
        with environment({SESSION_BASE_VARIABLE: folder}):
            yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)
