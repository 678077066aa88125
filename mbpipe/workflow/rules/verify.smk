rule verify:
    input:
        manybody=layout.MANYBODY_RESULT,
        manybody_input=layout.MANYBODY_INPUT,
    output:
        verification=layout.VERIFICATION,
    log:
        layout.VERIFY_LOG,
    # no `params:` (see fragment_command)
    run:
        run_rule_command(
            ["verify", wildcards.name, input.manybody, output.verification, *sequential_option(wildcards),
             "--tolerance", str(verify_tolerance(wildcards))],
            log[0],
        )  # fmt: skip
