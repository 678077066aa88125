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
        mem_mb=2000,
        runtime=fragment_runtime,
    shell:
        "{MBPIPE} fragment {input.spec} {output} --ncores {threads} --memory-mb {resources.mem_mb} > {log} 2>&1"


rule gate:
    input:
        level_fragment_results,
    output:
        f"{RESULTS}/gates/n{{level}}.json",
    log:
        f"{LOGS}/gates/n{{level}}.log",
    params:
        name=NAME,
    shell:
        "{MBPIPE} gate {params.name} {wildcards.level} {output} > {log} 2>&1"
