rule fragment:
    input:
        spec=layout.FRAGMENT_INPUT,
        previous_level=previous_gate,
        # only a crystal's calculations alike take energies from each other: elsewhere no function per job
        computed_alike=computed_alike if SAME_AS else [],
    output:
        layout.FRAGMENT_RESULT,
    log:
        layout.FRAGMENT_LOG,
    group:
        fragment_bundle
    threads: 1
    resources:
        mem_mb=fragment_memory_mb,
        attempt=attempt_number,
        runtime=fragment_runtime,
        tmpdir=SYSTEM_TMPDIR,
        # a constant where no model chemistry computes on a GPU: no function call per job
        gpu=fragment_gpus if GPU_MODEL_CHEMISTRIES else 0,
    run:
        run_rule_command(fragment_command(input, output[0], threads, resources), log[0])


rule gate:
    input:
        level_fragment_results,
    output:
        # kept in place while it is rewritten, and restored if that fails: finished fragments of the
        # level above take it as `ancient` and are left alone only while it exists
        update(layout.LEVEL_GATE),
    log:
        layout.GATE_LOG,
    retries: 0  # a gate that rejects results has moved them aside: the next attempt is a rerun
    run:
        run_rule_command(["gate", wildcards.name, wildcards.level, output[0]], log[0])
