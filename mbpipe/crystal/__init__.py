"""Molecular crystals: a CIF's lattice energy from its symmetry-unique n-mers."""
