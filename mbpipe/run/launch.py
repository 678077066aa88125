"""The Snakemake command `mbpipe run` starts: the packaged workflow on the user's config, results in
the folder the command runs in, with the workstation profile unless the user names another."""

from __future__ import annotations

import sys
from pathlib import Path

from mbpipe.workflow import LOCAL_PROFILE, SNAKEFILE


def snakemake_command(config: Path, workdir: Path, snakemake_args: list[str]) -> list[str]:
    return [
        sys.executable, "-m", "snakemake",
        "--snakefile", str(SNAKEFILE),
        "--configfile", str(config.resolve()),
        "--directory", str(workdir),
        *profile_args(snakemake_args),
        *snakemake_args,
    ]  # fmt: skip


def profile_args(snakemake_args: list[str]) -> list[str]:
    """The workstation profile, unless the command names a profile of its own."""
    if any(arg.split("=")[0] in ("--profile", "--workflow-profile") for arg in snakemake_args):
        return []
    return ["--profile", str(LOCAL_PROFILE)]
