"""Fragments keep the cluster's frame on every program: a counterpoise gradient of the mirror-symmetric
water dimer through the pipeline on NWChem equals QCManyBody's sequential computer on PySCF.

NWChem, left to find the point group, reflects a fragment with ghost atoms that has a mirror plane,
and QCEngine returns its gradient in the reflected frame (3.3e-2 Eh/bohr off for the cp monomer)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_failures import HF_STO3G, MOLECULES, mbpipe_run, write_config
from qcmanybody.models.v2 import ManyBodyInput, ManyBodyResult

from mbpipe.pipeline.verify import sequential_result

pytestmark = [pytest.mark.nwchem, pytest.mark.pyscf]

# Both SCFs converged tightly, so that what is left of a difference is the frame, not the convergence.
TIGHT = {"nwchem": {"scf__thresh": 1e-10, "scf__tol2e": 1e-14}, "pyscf": {"conv_tol": 1e-12, "conv_tol_grad": 1e-8}}


def test_cp_gradient_of_the_symmetric_dimer_on_nwchem_equals_pyscf(tmp_path):
    config = write_config(
        tmp_path, name="dimer", molecule=str(MOLECULES / "water-dimer.xyz"), driver="gradient", bsse_type=["cp"],
        model_chemistries={"hf": {**HF_STO3G, "keywords": TIGHT["nwchem"]}}, verify="off",
    )  # fmt: skip
    run = mbpipe_run(tmp_path, config, "--cores", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    results = tmp_path / "results" / "dimer"
    nwchem = ManyBodyResult.model_validate_json((results / "manybody.json").read_text())

    data = ManyBodyInput.model_validate_json((results / "input.json").read_text()).model_dump()
    data["specification"]["specification"]["hf"].update(program="pyscf", keywords=TIGHT["pyscf"])
    pyscf = sequential_result(ManyBodyInput(**data), ncores=1, memory_mb=2000)

    difference = np.abs(np.ravel(nwchem.return_result) - np.ravel(pyscf.return_result)).max()
    assert difference <= 1e-6, difference
