from classwatch.bench import format_report, run_bench


def test_bench_report_structure():
    report = run_bench(repeats=1, grids=((2, 2),))
    (row,) = report["results"]
    assert row["gallery"] == "2x2" and row["tiles"] == 4 and row["true_faces"] == 4
    for name in ("dnn", "haar", "classic"):
        assert row[name]["median_ms"] > 0 and row[name]["cpu_ms"] >= 0
        assert 0 <= row[name]["recall"] <= 1
    assert row["dnn"]["recall"] == 1.0
    assert row["dnn"]["speedup_vs_classic"] > 0
    text = format_report(report)
    assert "2x2" in text and "classic" in text
