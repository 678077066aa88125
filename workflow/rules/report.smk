def verification_result():
    """The verification to tabulate; none when the config turns verification off."""
    return [layout.VERIFICATION.format(name=NAME)] if config["verify"] == "sequential" else []


rule report:
    input:
        summary=f"{RESULTS}/summary.csv",
        gates=all_gates(),
        verification=verification_result(),
    output:
        convergence=report(
            f"{RESULTS}/plots/convergence.png",
            caption="../report/convergence.rst",
            category="Many-body expansion",
        ),
        contributions=report(
            f"{RESULTS}/plots/contributions.png",
            caption="../report/contributions.rst",
            category="Many-body expansion",
        ),
        wall_times=report(
            f"{RESULTS}/plots/wall_times.png",
            caption="../report/wall_times.rst",
            category="Fragment calculations",
        ),
        svg=multiext(f"{RESULTS}/plots/", "convergence.svg", "contributions.svg", "wall_times.svg"),
        fragments=report(
            f"{RESULTS}/fragments.csv",
            caption="../report/fragments.rst",
            category="Fragment calculations",
        ),
        verification=report(
            f"{RESULTS}/verification.csv",
            caption="../report/verification.rst",
            category="Verification",
        ),
    log:
        f"{LOGS}/report.log",
    params:
        name=NAME,
    shell:
        '{MBPIPE} report {params.name} "$(dirname {output.convergence})" {output.fragments}'
        " {output.verification} {input.verification} > {log} 2>&1"
