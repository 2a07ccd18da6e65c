import importlib.util

import numpy as np
import pytest
from conftest import REPO, SHARED_DATA

from classwatch.bench import format_report, run_bench, tile_recall
from classwatch.cli import main


def assert_timed(row: dict) -> None:
    for name in ("cold", "warm", "classic"):
        assert row[name]["median_ms"] > 0 and row[name]["cpu_ms"] >= 0
    assert row["cold"]["speedup_vs_classic"] > 0 and row["warm"]["speedup_vs_classic"] > 0


def test_bench_runs_on_the_bundled_demo_without_shared_data():
    report = run_bench(repeats=1, galleries=None)
    assert report["real"] == [] and "synthetic" not in report
    (row,) = report["demo"]
    # The demo's first frame: 4 tiles, one person each (assets/demo/README.md).
    assert row["image"] == "demo 2x2 (first frame)" and row["size"] == "640x360"
    assert row["faces"] == 4 and row["recall"] == 1.0 and 0 <= row["classic_recall"] <= 1
    assert_timed(row)
    assert report["threads"] == 1 and report["repeats"] == 1 and report["peak_rss_mb"] > 0
    text = format_report(report)
    assert "demo 2x2 (first frame)" in text and "no real screenshots" in text


def test_tile_recall_counts_tiles_with_a_face_centre():
    shape = (360, 640, 3)
    assert tile_recall(np.zeros((0, 4)), shape, (2, 2)) == 0.0
    # Two faces in the top-left tile, one straddling into the bottom-right by its edge but centred there.
    boxes = np.array([[10, 10, 50, 50], [200, 100, 40, 40], [300, 170, 60, 60]], float)
    assert tile_recall(boxes, shape, (2, 2)) == 0.5


def test_synthetic_speed_benchmark_prints_the_synthetic_rows(capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))  # its first import, checkout.py, lives beside it
    path = REPO / "benchmarks" / "synthetic_speed.py"
    spec = importlib.util.spec_from_file_location("synthetic_speed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = module.run(repeats=1, grids=((2, 2),))
    (row,) = report["synthetic"]
    assert row["image"] == "synthetic 2x2" and row["faces"] == 4 and row["recall"] == 1.0
    assert_timed(row)
    assert module.main(["--repeats", "1", "--grids", "2x2"]) == 0
    out = capsys.readouterr().out
    assert "synthetic 2x2" in out and "no real screenshots" not in out


def test_bench_scores_real_screenshots_when_present():
    galleries = SHARED_DATA / "galleries"
    if not (galleries / "labels.json").is_file():
        pytest.skip("shared gallery screenshots not present")
    report = run_bench(repeats=1, galleries=galleries)
    assert len(report["real"]) == 21
    assert all(0 <= r["recall"] <= 1 for r in report["real"])
    assert "real screenshots: median" in format_report(report)


def test_bench_rejects_bad_arguments(capsys, tmp_path):
    for value, reason in (("0", "must be at least 1, got 0"), ("-2", "must be at least 1, got -2"),
                          ("abc", "must be a whole number, got 'abc'")):
        with pytest.raises(SystemExit) as exc:
            main(["bench", "--repeats", value])
        assert exc.value.code == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.splitlines() == [f"classwatch: error: argument --repeats: {reason} (see classwatch bench --help)"]
    assert main(["bench", "--galleries", str(tmp_path)]) == 2
    assert "no labels.json" in capsys.readouterr().err
