"""The lines a finished run ends with, read from summary.csv as pandas writes it (mbpipe/report/closing.py
reads it with the standard library)."""

from __future__ import annotations

import math

import pandas as pd

from mbpipe.base import layout
from mbpipe.report.closing import closing_summary

ROWS = [
    {"bsse_type": "cp", "nbody": 1, "interaction_energy_kcal_mol": 0.0, "total_energy_hartree": math.nan},
    {"bsse_type": "cp", "nbody": 2, "interaction_energy_kcal_mol": -4.987654321, "total_energy_hartree": math.nan},
    {"bsse_type": "nocp", "nbody": 1, "interaction_energy_kcal_mol": 0.0, "total_energy_hartree": -152.1234567891},
    {"bsse_type": "nocp", "nbody": 2, "interaction_energy_kcal_mol": -5.5, "total_energy_hartree": -152.13},
]


def write_summary(name: str) -> None:
    path = layout.path(layout.SUMMARY, name=name)
    path.parent.mkdir(parents=True)
    path.write_text(pd.DataFrame(ROWS).to_csv(index=False))


def test_every_order_of_a_run_with_a_blank_where_the_summary_has_no_value(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_summary("dimer")
    lines = closing_summary(["dimer"], 12.34).splitlines()
    assert lines[0] == "dimer:"
    assert lines[2].split() == ["cp", "1", "0.0000"]  # no total energy: the cell is empty
    assert lines[3].split() == ["cp", "2", "-4.9877"]
    assert lines[5].split() == ["nocp", "2", "-5.5000", "-152.1300000000"]
    assert lines[6].strip() == "not verified (verify: off)"
    assert lines[7] == f"wall time 12.3 s; results in {tmp_path / 'results' / 'dimer'}"


def test_many_geometries_get_a_line_each_with_the_first_treatments_highest_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = [f"scan/g{k}" for k in range(4)]
    for name in names[:3]:
        write_summary(name)
    lines = closing_summary(names, 1.0).splitlines()
    assert lines[0].startswith("scan/g0: cp interaction through 2 bodies -4.9877 kcal/mol; not verified")
    assert lines[3] == "scan/g3: not verified (verify: off)"  # not finished: no summary yet
    assert lines[4].endswith(f"results in {tmp_path / 'results' / 'scan'}")
