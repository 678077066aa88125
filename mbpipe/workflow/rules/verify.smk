rule verify:
    input:
        manybody=layout.MANYBODY_RESULT,
        manybody_input=layout.MANYBODY_INPUT,
    output:
        verification=layout.VERIFICATION,
    log:
        layout.VERIFY_LOG,
    params:
        mbpipe=MBPIPE,
        tolerance=verify_tolerance,
        sequential=sequential_option,
    shell:
        "{params.mbpipe} verify {wildcards.name} {input.manybody} {output.verification}"
        " {params.sequential} --tolerance {params.tolerance} > {log} 2>&1"
