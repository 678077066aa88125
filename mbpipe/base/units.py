"""Unit conversions, to the bit the factors QCElemental's `conversion_factor` gives, without building its
unit registry (1.8 s of pint in every process that asks: every config check, every parse of the
workflow, every assembly).  tests/test_units.py holds them to `conversion_factor`."""

from qcelemental import constants

# Angstrom in the molecule files, bohr inside (QCSchema)
ANGSTROM_TO_BOHR = 1 / constants.bohr2angstroms
# energies as chemists read them; the thermochemical calorie is 4.184 J
HARTREE_TO_KJ_MOL = constants.hartree2kJmol
HARTREE_TO_KCAL_MOL = constants.hartree2kJmol / 4.184
