import pytest
from conftest import SHARED_DATA

from classwatch.bench import format_report, run_bench
from classwatch.cli import main


def test_bench_report_structure(tmp_path):
    report = run_bench(repeats=1, grids=((2, 2),), galleries=None)
    assert report["real"] == []
    (row,) = report["synthetic"]
    assert row["image"] == "synthetic 2x2" and row["faces"] == 4 and row["recall"] == 1.0
    for name in ("cold", "warm", "classic"):
        assert row[name]["median_ms"] > 0 and row[name]["cpu_ms"] >= 0
    assert row["cold"]["speedup_vs_classic"] > 0 and row["warm"]["speedup_vs_classic"] > 0
    text = format_report(report)
    assert "synthetic 2x2" in text and "no real screenshots" in text


def test_bench_scores_real_screenshots_when_present():
    galleries = SHARED_DATA / "galleries"
    if not (galleries / "labels.json").is_file():
        pytest.skip("shared gallery screenshots not present")
    report = run_bench(repeats=1, grids=(), galleries=galleries)
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
