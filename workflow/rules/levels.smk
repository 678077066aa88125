rule level_result:
    input:
        gates=level_gates,
        manybody_input=f"{RESULTS}/input.json",
    output:
        f"{RESULTS}/levels/n{{level}}.json",
    log:
        f"{LOGS}/levels/n{{level}}.log",
    params:
        name=NAME,
    shell:
        "{MBPIPE} level {params.name} {wildcards.level} {output} > {log} 2>&1"
