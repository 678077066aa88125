"""Assembling fragment results into the many-body result with QCManyBody's own analysis (of a screened
expansion: mbpipe/pipeline/screening.py)."""

from __future__ import annotations

from mbpipe.base import layout
from mbpipe.base.labels import decode_label
from mbpipe.pipeline.plan import Plan, load_manybody_input, load_plan, manybody_computer
from mbpipe.pipeline.qcmanybody_compat import PROPERTIES, planned_labels


def load_fragment_results(plan: Plan, upto: int | None = None) -> dict:
    """QCManyBody label -> AtomicResult for the plan's calculations (through level *upto*), each
    checked against the input the plan has for it now: no number is assembled from a stale result."""
    from mbpipe.pipeline.gate import FragmentResultError, check_fragment_result

    results, problems = {}, []
    for level in plan.level_numbers:
        if upto is not None and level > upto:
            continue
        for label in plan.labels(level):
            fields = {"name": plan.name, "level": level, "label": label}
            path = layout.path(layout.FRAGMENT_RESULT, **fields)
            checked = check_fragment_result(layout.path(layout.FRAGMENT_INPUT, **fields), path)
            if isinstance(checked, str):
                problems.append(f"  {path} {checked}")
            else:
                results[decode_label(label)] = checked
    if problems:
        raise FragmentResultError(
            f"{len(problems)} fragment results cannot be assembled; run the workflow again to recompute them:\n"
            + "\n".join(problems)
        )
    return results


def analyze(mbin, fragment_results: dict, distance_cutoffs: dict | None = None):
    """The ManyBodyResult of *mbin* from its fragments' AtomicResults, exactly as QCManyBody's sequential
    ManyBodyComputer forms it once its own calculations are done.  With *distance_cutoffs* (order ->
    Angstrom), the screened expansion's, its screening recorded in ``extras["mbpipe"]["screening"]``."""
    from mbpipe.pipeline import screening

    computer = manybody_computer(mbin)
    core = computer.qcmb_core
    screen = screening.screen(core.molecule, distance_cutoffs, core.max_nbody) if distance_cutoffs else None
    needed = screening.needed_labels(core, screen) if screen else planned_labels(core)
    missing = sorted(needed - fragment_results.keys())
    if missing:
        raise KeyError(f"{len(missing)} fragment results are missing for the analysis, e.g. {missing[:3]}")
    component_properties = {label: _properties(fragment_results[label]) for label in needed}
    if screen:
        analyzed = screening.analyze_screened(core, screen, component_properties)
    else:
        analyzed = core.analyze(component_properties)
        analyzed["nbody_number"] = len(component_properties)
        if core.embedding_charges and "ret_gradient" in analyzed:
            from mbpipe.embedding.gradient import add_charge_forces

            analyzed = add_charge_forces(core, analyzed, {label: fragment_results[label] for label in needed})
    result = computer.get_results(
        external_results=analyzed, component_results={label: fragment_results[label] for label in needed}
    )
    if screen:
        extras = {**result.extras, "mbpipe": {"screening": screening.extras(core, screen)}}
        result = result.model_copy(update={"extras": extras})
    return result


def through_level(mbin, level: int):
    """*mbin* truncated to the many-body expansion through *level* bodies; *mbin* itself when *level*
    reaches its highest level.  Every calculation the truncated expansion needs is in the full plan."""
    computer = manybody_computer(mbin)
    core = computer.qcmb_core
    highest = core.nfragments if core.has_supersystem else computer.max_nbody
    if level >= highest:
        return mbin
    level = min(level, computer.max_nbody)
    model_chemistry_of_level = {}
    for mc, nbodies in core.nbodies_per_mc_level.items():
        for nb in nbodies:
            if nb != "supersystem" and nb <= level:
                model_chemistry_of_level[nb] = mc
    # QCManyBody's `levels` names the highest n-body level of each model chemistry
    top_level_of = {}
    for nb, mc in model_chemistry_of_level.items():
        top_level_of[mc] = max(nb, top_level_of.get(mc, 0))
    levels = {nb: mc for mc, nb in top_level_of.items()}
    keywords = mbin.specification.keywords.model_copy(
        update={"max_nbody": level, "levels": dict(sorted(levels.items())), "supersystem_ie_only": False}
    )
    specification = mbin.specification.model_copy(
        update={
            "keywords": keywords,
            "specification": {mc: s for mc, s in mbin.specification.specification.items() if mc in levels.values()},
        }
    )
    return type(mbin)(**{**mbin.model_dump(exclude={"specification"}), "specification": specification.model_dump()})


def _properties(result) -> dict:
    values = {}
    for prop in PROPERTIES:
        value = getattr(result.properties, f"return_{prop}", None)
        if value is not None:
            values[prop] = value
    return values


def write_level_result(name: str, level: int, output) -> None:
    """The many-body result of run *name* through *level* bodies, written to *output* (the level rule)."""
    from mbpipe.base.jsonio import write_model_atomic

    plan = load_plan(name)
    mbin = through_level(load_manybody_input(name), level)
    result = analyze(mbin, load_fragment_results(plan, upto=level), plan.distance_cutoffs)
    print(result.stdout)
    write_model_atomic(output, result)


def write_assembly(name: str, manybody, summary) -> None:
    """The many-body result of run *name* and its table of energies through each level (the assemble rule)."""
    from mbpipe.base.jsonio import write_model_atomic, write_text_atomic
    from mbpipe.pipeline.summary import energy_table, format_table

    plan = load_plan(name)
    result = analyze(load_manybody_input(name), load_fragment_results(plan), plan.distance_cutoffs)
    table = energy_table(result)
    print(result.stdout)
    print(format_table(table))
    write_model_atomic(manybody, result)
    write_text_atomic(summary, table.to_csv(index=False))
