"""Driving Snakemake: the command `mbpipe run` starts, the files and commands the rules are wired with,
and picking a run up after a crash."""
