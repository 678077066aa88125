"""mbpipe: many-body expansion calculations at cluster scale, planned and assembled by QCManyBody,
run by QCEngine, scheduled by Snakemake."""

__version__ = "0.1.0"
