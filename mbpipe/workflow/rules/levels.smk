rule level_result:
    input:
        gates=level_gates,
        manybody_input=layout.MANYBODY_INPUT,
    output:
        layout.LEVEL_RESULT,
    log:
        layout.LEVEL_LOG,
    params:
        mbpipe=MBPIPE,
    shell:
        "{params.mbpipe} level {wildcards.name} {wildcards.level} {output} > {log} 2>&1"
