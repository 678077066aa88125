rule report:
    input:
        summary=layout.SUMMARY,
        gates=all_gates,
        verification=verification,
    output:
        convergence=report(
            layout.plot_file("convergence.png"),
            caption="../report/convergence.rst",
            category="Many-body expansion",
        ),
        contributions=report(
            layout.plot_file("contributions.png"),
            caption="../report/contributions.rst",
            category="Many-body expansion",
        ),
        wall_times=report(
            layout.plot_file("wall_times.png"),
            caption="../report/wall_times.rst",
            category="Fragment calculations",
        ),
        svg=[layout.plot_file(f"{plot}.svg") for plot in ("convergence", "contributions", "wall_times")],
        fragments=report(
            layout.FRAGMENT_TABLE,
            caption="../report/fragments.rst",
            category="Fragment calculations",
        ),
        verification=report(
            layout.VERIFICATION_TABLE,
            caption="../report/verification.rst",
            category="Verification",
        ),
    log:
        layout.REPORT_LOG,
    params:
        mbpipe=MBPIPE,
    shell:
        '{params.mbpipe} report {wildcards.name} "$(dirname {output.convergence})" {output.fragments}'
        " {output.verification} {input.verification} > {log} 2>&1"
