rule verify:
    input:
        manybody=f"{RESULTS}/manybody.json",
        manybody_input=f"{RESULTS}/input.json",
    output:
        verification=f"{RESULTS}/verification.json",
        sequential=f"{RESULTS}/sequential.json",
    log:
        f"{LOGS}/verify.log",
    params:
        name=NAME,
        tolerance=config["tolerance"],
    shell:
        "{MBPIPE} verify {params.name} {input.manybody} {output.verification}"
        " --sequential {output.sequential} --tolerance {params.tolerance} > {log} 2>&1"
