rule verify:
    input:
        manybody=layout.MANYBODY_RESULT,
        manybody_input=layout.MANYBODY_INPUT,
    output:
        verification=layout.VERIFICATION,
        sequential=layout.SEQUENTIAL_RESULT,
    log:
        layout.VERIFY_LOG,
    params:
        mbpipe=MBPIPE,
        tolerance=config["tolerance"],
    shell:
        "{params.mbpipe} verify {wildcards.name} {input.manybody} {output.verification}"
        " --sequential {output.sequential} --tolerance {params.tolerance} > {log} 2>&1"
