"""One warm process per Snakemake that runs its jobs (server), and the lean hand-over each job makes (client)."""
