rule level_result:
    input:
        gates=level_gates,
        manybody_input=FILES.file(layout.MANYBODY_INPUT),
    output:
        FILES.pattern(layout.LEVEL_RESULT),
    log:
        FILES.pattern(layout.LEVEL_LOG),
    params:
        mbpipe=MBPIPE,
        name=NAME,
    shell:
        "{params.mbpipe} level {params.name} {wildcards.level} {output} > {log} 2>&1"
