"""Unit conversions, to the bit the factors QCElemental's `conversion_factor` gives, without building its
unit registry (1.8 s of pint in every process that asks: every config check, every parse of the
workflow, every assembly) and without importing QCElemental at all (0.25-0.4 s, which reading the
workflow of a run already planned needs for nothing else).  The numbers are CODATA 2014's, the
context QCElemental uses by default, as it rounds them to floats; tests/test_units.py holds them to
`conversion_factor`."""

# Angstrom in the molecule files, bohr inside (QCSchema): 1 / QCElemental's bohr2angstroms
ANGSTROM_TO_BOHR = 1 / 0.52917721067
# energies as chemists read them (QCElemental's hartree2kJmol); the thermochemical calorie is 4.184 J
HARTREE_TO_KJ_MOL = 2625.4996382852164
HARTREE_TO_KCAL_MOL = HARTREE_TO_KJ_MOL / 4.184
