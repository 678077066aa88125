rule fragment:
    input:
        spec=FILES.pattern(layout.FRAGMENT_INPUT),
        previous_level=previous_gate,
    output:
        FILES.pattern(layout.FRAGMENT_RESULT),
    log:
        FILES.pattern(layout.FRAGMENT_LOG),
    group:
        fragment_bundle
    params:
        mbpipe=MBPIPE,
    threads: 1
    resources:
        mem_mb=fragment_memory_mb,
        attempt=attempt_number,
        runtime=fragment_runtime,
        gpu=fragment_gpus,
    shell:
        "{params.mbpipe} fragment {input.spec} {output} --ncores {threads} --memory-mb {resources.mem_mb}"
        " --attempt {resources.attempt} > {log} 2>&1"


rule gate:
    input:
        level_fragment_results,
    output:
        FILES.pattern(layout.LEVEL_GATE),
    log:
        FILES.pattern(layout.GATE_LOG),
    params:
        mbpipe=MBPIPE,
        name=NAME,
    retries: 0  # a gate that rejects results has moved them aside: the next attempt is a rerun
    shell:
        "{params.mbpipe} gate {params.name} {wildcards.level} {output} > {log} 2>&1"
