rule fragment:
    input:
        spec=f"{RESULTS}/inputs/n{{level}}/{{label}}.json",
        previous_level=previous_gate,
    output:
        f"{RESULTS}/fragments/n{{level}}/{{label}}.json",
    log:
        f"{LOGS}/fragments/n{{level}}/{{label}}.log",
    group:
        fragment_bundle
    threads: 1
    resources:
        mem_mb=fragment_memory_mb,
        attempt=attempt_number,
        runtime=fragment_runtime,
    shell:
        "{MBPIPE} fragment {input.spec} {output} --ncores {threads} --memory-mb {resources.mem_mb}"
        " --attempt {resources.attempt} > {log} 2>&1"


rule gate:
    input:
        level_fragment_results,
    output:
        f"{RESULTS}/gates/n{{level}}.json",
    log:
        f"{LOGS}/gates/n{{level}}.log",
    params:
        name=NAME,
    retries: 0  # a gate that rejects results has moved them aside: the next attempt is a rerun
    shell:
        "{MBPIPE} gate {params.name} {wildcards.level} {output} > {log} 2>&1"
