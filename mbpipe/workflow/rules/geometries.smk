# Only for a config of many geometries: their results side by side, in results/<name>/.
if FILES.geometries_of:

    localrules:
        geometries,

    rule geometries:
        input:
            summaries=FILES.summaries(),
            geometries=layout.GEOMETRIES.format(name=NAME),
        output:
            table=report(
                layout.GEOMETRIES_TABLE.format(name=NAME),
                caption="../report/geometries-table.rst",
                category="Geometries",
            ),
            plot=report(
                layout.plot_file("geometries.png").format(name=NAME),
                caption="../report/geometries.rst",
                category="Geometries",
            ),
            svg=layout.plot_file("geometries.svg").format(name=NAME),
        log:
            layout.GEOMETRIES_LOG.format(name=NAME),
        run:
            run_rule_command(["geometries", NAME, output.table, os.path.dirname(output.plot)], log[0])
