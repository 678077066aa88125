rule verify:
    input:
        manybody=FILES.file(layout.MANYBODY_RESULT),
        manybody_input=FILES.file(layout.MANYBODY_INPUT),
    output:
        **FILES.verify_outputs(),
    log:
        FILES.file(layout.VERIFY_LOG),
    params:
        mbpipe=MBPIPE,
        name=NAME,
        tolerance=config["tolerance"],
        sequential=sequential_option,
    shell:
        "{params.mbpipe} verify {params.name} {input.manybody} {output.verification}"
        " {params.sequential} --tolerance {params.tolerance} > {log} 2>&1"
