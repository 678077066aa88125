# The fragment table and the wall-time plot need every level's results, not the assembly: they are
# written beside it, so that after the last calculation only the two expansion plots wait for it.
rule fragment_table:
    input:
        gates=all_gates,
    output:
        fragments=report(
            layout.FRAGMENT_TABLE,
            caption="../report/fragments.rst",
            category="Fragment calculations",
        ),
        wall_times=report(
            layout.plot_file("wall_times.png"),
            caption="../report/wall_times.rst",
            category="Fragment calculations",
        ),
        svg=layout.plot_file("wall_times.svg"),
    log:
        layout.FRAGMENT_TABLE_LOG,
    run:
        run_rule_command(["fragment-table", wildcards.name, output.fragments, os.path.dirname(output.wall_times)], log[0])


rule report:
    input:
        summary=layout.SUMMARY,
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
        svg=[layout.plot_file(f"{plot}.svg") for plot in ("convergence", "contributions")],
        verification=report(
            layout.VERIFICATION_TABLE,
            caption="../report/verification.rst",
            category="Verification",
        ),
    log:
        layout.REPORT_LOG,
    run:
        run_rule_command(
            ["report", wildcards.name, os.path.dirname(output.convergence), output.verification, *input.verification],
            log[0],
        )
