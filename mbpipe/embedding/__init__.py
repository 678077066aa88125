"""Electrostatically embedded many-body expansion (EE-MBE): every fragment calculation in the field of
point charges standing for the fragments outside its basis.

QCManyBody plans it (its ``embedding_charges`` keyword puts each calculation's charges, in e at atom
positions in bohr, into ``molecule.extras["embedding_charges"]``); the PySCF harness computes with them
(``pyscf.qmmm``); ``gradient`` carries the forces on the charges back to the atoms they sit on.
mbpipe/pipeline/embedded_sequential.py recomputes an embedded run in one process for its verification.
"""
