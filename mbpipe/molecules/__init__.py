"""Molecular clusters: reading the files chemists have, and generating water clusters for tests and benchmarks."""
