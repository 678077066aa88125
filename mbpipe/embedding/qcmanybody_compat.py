"""The one place mbpipe bends QCManyBody's public surface for embedding.

QCManyBody 0.8 takes ``embedding_charges`` as a documented ManyBodyKeywords field but builds no
ManyBodyCore with them unless the environment variable QCMANYBODY_EMBEDDING_CHARGES is set ("still in
testing"). mbpipe checks the charges itself (mbpipe/embedding/charges.py) and sets the variable in the
process that plans or assembles an embedded run. tests/test_embedding.py fails on a version that
changes how the charges reach the fragments.
"""

from __future__ import annotations

import os

VARIABLE = "QCMANYBODY_EMBEDDING_CHARGES"


def allow_embedding_charges() -> None:
    """Let QCManyBody's ManyBodyCore accept ``embedding_charges`` in this process."""
    os.environ.setdefault(VARIABLE, "1")
