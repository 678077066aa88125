"""Length units of the molecule files: Angstrom in the files, bohr inside (QCSchema)."""

from qcelemental import constants

# QCElemental's conversion_factor("angstrom", "bohr"), to the bit, without building its unit registry
# (1.8 s, in every check of a config and every parse of the workflow).
ANGSTROM_TO_BOHR = 1 / constants.bohr2angstroms
