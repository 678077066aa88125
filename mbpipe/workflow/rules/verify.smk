rule verify:
    input:
        manybody=FILES.file(layout.MANYBODY_RESULT),
        manybody_input=FILES.file(layout.MANYBODY_INPUT),
    output:
        verification=FILES.file(layout.VERIFICATION),
        sequential=FILES.file(layout.SEQUENTIAL_RESULT),
    log:
        FILES.file(layout.VERIFY_LOG),
    params:
        mbpipe=MBPIPE,
        name=NAME,
        tolerance=config["tolerance"],
    shell:
        "{params.mbpipe} verify {params.name} {input.manybody} {output.verification}"
        " --sequential {output.sequential} --tolerance {params.tolerance} > {log} 2>&1"
