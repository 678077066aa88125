"""The report's figures drawn side by side, each in a process of its own (mbpipe/report/plots.py)."""

from __future__ import annotations

import os
from xml.etree import ElementTree

import pytest
from matplotlib.figure import Figure

from mbpipe.report.plots import write_figures


def line(values: list[float]) -> Figure:
    figure = Figure()
    figure.add_subplot().plot(values, gid="data")
    return figure


def failing() -> Figure:
    raise ValueError("no summary rows to draw")


def test_every_figure_is_written_whole_and_its_content_is_its_own(tmp_path):
    write_figures({tmp_path / "a": lambda: line([0, 1]), tmp_path / "b": lambda: line([0, 1, 4, 9, 16])})
    for stem, points in (("a", 2), ("b", 5)):
        assert (tmp_path / f"{stem}.png").read_bytes()[:4] == b"\x89PNG"
        svg = ElementTree.parse(tmp_path / f"{stem}.svg").getroot()
        line_path = svg.find(".//{http://www.w3.org/2000/svg}g[@id='data']/{http://www.w3.org/2000/svg}path")
        assert line_path.get("d").count("L") == points - 1  # one segment between each two points
    assert sorted(os.listdir(tmp_path)) == ["a.png", "a.svg", "b.png", "b.svg"]  # no partial files left


def test_each_figure_after_the_first_is_drawn_in_a_process_of_its_own(tmp_path):
    def drawn_by(record):
        def draw():
            (tmp_path / record).write_text(str(os.getpid()))
            return line([0, 1])

        return draw

    write_figures({tmp_path / f"figure-{k}": drawn_by(f"pid-{k}") for k in range(3)})
    pids = [int((tmp_path / f"pid-{k}").read_text()) for k in range(3)]
    assert pids[0] == os.getpid() and len(set(pids)) == 3


def test_a_figure_that_fails_in_a_forked_process_fails_the_report_with_its_traceback(tmp_path, capfd):
    with pytest.raises(RuntimeError, match="1 of 2 figures failed"):
        write_figures({tmp_path / "ok": lambda: line([0, 1]), tmp_path / "bad": failing})
    assert "ValueError: no summary rows to draw" in capfd.readouterr().err
    assert (tmp_path / "ok.png").exists() and not (tmp_path / "bad.png").exists()


def test_a_figure_that_fails_in_this_process_raises_once_the_others_are_written(tmp_path):
    with pytest.raises(ValueError, match="no summary rows"):
        write_figures({tmp_path / "bad": failing, tmp_path / "ok": lambda: line([0, 1])})
    assert (tmp_path / "ok.png").exists() and (tmp_path / "ok.svg").exists()
