rule assemble:
    input:
        gate=last_gate(),
        manybody_input=f"{RESULTS}/input.json",
    output:
        manybody=f"{RESULTS}/manybody.json",
        summary=f"{RESULTS}/summary.csv",
    log:
        f"{LOGS}/assemble.log",
    shell:
        "{MBPIPE} assemble {NAME} {output.manybody} {output.summary} > {log} 2>&1"
