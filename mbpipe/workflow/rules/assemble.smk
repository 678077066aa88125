rule assemble:
    input:
        gates=all_gates,
        manybody_input=layout.MANYBODY_INPUT,
    output:
        manybody=layout.MANYBODY_RESULT,
        summary=layout.SUMMARY,
    log:
        layout.ASSEMBLE_LOG,
    params:
        mbpipe=MBPIPE,
    shell:
        "{params.mbpipe} assemble {wildcards.name} {output.manybody} {output.summary} > {log} 2>&1"
