rule assemble:
    input:
        gates=all_gates(),
        manybody_input=f"{RESULTS}/input.json",
    output:
        manybody=f"{RESULTS}/manybody.json",
        summary=f"{RESULTS}/summary.csv",
    log:
        f"{LOGS}/assemble.log",
    params:
        name=NAME,
    shell:
        "{MBPIPE} assemble {params.name} {output.manybody} {output.summary} > {log} 2>&1"
