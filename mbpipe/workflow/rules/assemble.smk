rule assemble:
    input:
        gates=FILES.all_gates(),
        manybody_input=FILES.file(layout.MANYBODY_INPUT),
    output:
        manybody=FILES.file(layout.MANYBODY_RESULT),
        summary=FILES.file(layout.SUMMARY),
    log:
        FILES.file(layout.ASSEMBLE_LOG),
    params:
        mbpipe=MBPIPE,
        name=NAME,
    shell:
        "{params.mbpipe} assemble {params.name} {output.manybody} {output.summary} > {log} 2>&1"
