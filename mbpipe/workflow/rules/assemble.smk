rule assemble:
    input:
        gates=all_gates,
        manybody_input=layout.MANYBODY_INPUT,
    output:
        manybody=layout.MANYBODY_RESULT,
        summary=layout.SUMMARY,
    log:
        layout.ASSEMBLE_LOG,
    run:
        run_rule_command(["assemble", wildcards.name, output.manybody, output.summary], log[0])
