rule level_result:
    input:
        gates=level_gates,
        manybody_input=layout.MANYBODY_INPUT,
    output:
        layout.LEVEL_RESULT,
    log:
        layout.LEVEL_LOG,
    run:
        run_rule_command(["level", wildcards.name, wildcards.level, output[0]], log[0])
