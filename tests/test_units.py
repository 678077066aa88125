"""The unit factors mbpipe keeps are QCElemental's own, to the bit."""

import pytest
from qcelemental import constants

from mbpipe.base import units


@pytest.mark.parametrize(
    "factor, from_unit, to_unit",
    [
        (units.ANGSTROM_TO_BOHR, "angstrom", "bohr"),
        (units.HARTREE_TO_KJ_MOL, "hartree", "kJ/mol"),
        (units.HARTREE_TO_KCAL_MOL, "hartree", "kcal/mol"),
    ],
)
def test_factor_equals_qcelementals_conversion_to_the_bit(factor, from_unit, to_unit):
    assert factor == constants.conversion_factor(from_unit, to_unit)
