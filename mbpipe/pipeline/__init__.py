"""The stages of a run in the order the data flows: plan, fragment, gate, assemble (level results and
the whole expansion), verify, summary.  Each module is the work of one workflow rule."""
