"""download_paper_datasets: the one-click download behind the Probe page's button (never touches the network)."""

from __future__ import annotations


def test_paper_dataset_download_reports_found_files(tmp_path, monkeypatch):
    from concept_depth.datasets.download import download_paper_datasets, paper_sources

    data = tmp_path / "data"
    data.mkdir()
    names = [s.filename for s in paper_sources()]
    fetched = []

    def fake_fetch(url, timeout=0):
        fetched.append(url)
        raise OSError("offline")

    import concept_depth.datasets.sources as sources

    monkeypatch.setattr(sources, "fetch", fake_fetch)
    for name in names[:2]:
        (data / name).write_text("x")
    events = []
    report = download_paper_datasets(tmp_path / "cache", events.append, data_dir=data)
    assert report.found == tuple(names[:2]) and not report.downloaded
    assert len(report.failed) == len(names) - 2
    assert len(fetched) == 1  # offline after the first failure: the rest are not tried one by one
    assert events[-1].done == events[-1].total == len(names) and events[0].detail == names[0]
