# Only for a crystal config: the lattice energy from every unique n-mer's expansion, in results/<name>/.
if CRYSTAL:

    localrules:
        lattice,

    rule lattice:
        input:
            summaries=FILES.summaries(),
            verifications=[FILES.verification(name, config["verify"]) for name in PLANS],
            catalogue=layout.CRYSTAL_CATALOGUE.format(name=NAME),
        output:
            lattice=layout.LATTICE.format(name=NAME),
            nmers=report(layout.NMER_TABLE.format(name=NAME), caption="../report/nmers.rst", category="Crystal"),
            plot=report(
                layout.plot_file("lattice.png").format(name=NAME),
                caption="../report/lattice.rst",
                category="Crystal",
            ),
            svg=layout.plot_file("lattice.svg").format(name=NAME),
        log:
            layout.LATTICE_LOG.format(name=NAME),
        # no `params:` (see fragment_command)
        run:
            run_rule_command(
                ["lattice", NAME, output.lattice, output.nmers, os.path.dirname(output.plot),
                 "--tolerance", str(config["tolerance"])],
                log[0],
            )  # fmt: skip
