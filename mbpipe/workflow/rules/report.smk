rule report:
    input:
        summary=FILES.file(layout.SUMMARY),
        gates=FILES.all_gates(),
        verification=FILES.verification(config["verify"]),
    output:
        convergence=report(
            FILES.plot("convergence.png"),
            caption="../report/convergence.rst",
            category="Many-body expansion",
        ),
        contributions=report(
            FILES.plot("contributions.png"),
            caption="../report/contributions.rst",
            category="Many-body expansion",
        ),
        wall_times=report(
            FILES.plot("wall_times.png"),
            caption="../report/wall_times.rst",
            category="Fragment calculations",
        ),
        svg=[FILES.plot(f"{plot}.svg") for plot in ("convergence", "contributions", "wall_times")],
        fragments=report(
            FILES.file(layout.FRAGMENT_TABLE),
            caption="../report/fragments.rst",
            category="Fragment calculations",
        ),
        verification=report(
            FILES.file(layout.VERIFICATION_TABLE),
            caption="../report/verification.rst",
            category="Verification",
        ),
    log:
        FILES.file(layout.REPORT_LOG),
    params:
        mbpipe=MBPIPE,
        name=NAME,
    shell:
        '{params.mbpipe} report {params.name} "$(dirname {output.convergence})" {output.fragments}'
        " {output.verification} {input.verification} > {log} 2>&1"
