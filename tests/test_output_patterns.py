"""The job server compiles the NWChem harvester's regular expressions once, for every job it forks
(mbpipe/programs/qcengine_compat.py): reading a real NWChem output afterwards compiles next to none.
The count comes from Python's own compiler, called only when `re` misses its cache."""

from __future__ import annotations

import re

import pytest
import qcengine
from helpers_failures import WATER_XYZ
from qcelemental.models.v2 import AtomicInput, Molecule
from qcengine.programs.nwchem.harvester import harvest_outfile_pass

from mbpipe.programs.qcengine_compat import compile_nwchem_output_patterns

pytestmark = pytest.mark.nwchem


@pytest.fixture(scope="module")
def nwchem_output() -> str:
    """The output of a real NWChem calculation: HF/6-31G energy of one water."""
    spec = AtomicInput(
        molecule=Molecule.from_data(WATER_XYZ),
        specification={"driver": "energy", "model": {"method": "hf", "basis": "6-31g"}, "program": "nwchem"},
    )
    result = qcengine.compute(spec, "nwchem", raise_error=True)
    return result.stdout


def patterns_compiled_reading(output: str, monkeypatch) -> int:
    compiled = []
    compile_pattern = re._compiler.compile
    monkeypatch.setattr(re._compiler, "compile", lambda *args: compiled.append(args) or compile_pattern(*args))
    harvest_outfile_pass(output)
    monkeypatch.undo()
    return len(compiled)


def test_reading_an_output_after_the_warm_up_compiles_next_to_nothing(nwchem_output, monkeypatch):
    re.purge()
    cold = patterns_compiled_reading(nwchem_output, monkeypatch)
    re.purge()
    compile_nwchem_output_patterns()
    warm = patterns_compiled_reading(nwchem_output, monkeypatch)
    assert cold > 50  # what each forked job would compile without the warm-up
    assert warm <= 5, f"{warm} of {cold} patterns compiled again"
