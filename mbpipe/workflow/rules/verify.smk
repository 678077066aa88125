rule verify:
    input:
        manybody=layout.MANYBODY_RESULT,
        manybody_input=layout.MANYBODY_INPUT,
    output:
        verification=layout.VERIFICATION,
    log:
        layout.VERIFY_LOG,
    params:
        tolerance=verify_tolerance,
        sequential=sequential_option,
    run:
        run_rule_command(
            ["verify", wildcards.name, input.manybody, output.verification, *params.sequential,
             "--tolerance", str(params.tolerance)],
            log[0],
        )  # fmt: skip
