"""The one-click download of every paper dataset file (the Probe page's button)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import Cancelled, UnavailableError
from ..core.progress import ProgressEvent
from .registry import ENTRIES
from .sources import DownloadFailed, FileSource, find_local, locate_file


@dataclass(frozen=True)
class DownloadReport:
    """What :func:`download_paper_datasets` did: file names found locally, downloaded, or failed
    (with the one-line reason)."""

    found: tuple[str, ...]
    downloaded: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]


def paper_sources() -> tuple[FileSource, ...]:
    """Every file the Concept Depth paper's datasets read (one entry per file). The multiple-choice
    sets are not in it: four come with a package, and RACE downloads on its first use."""

    seen: dict[str, FileSource] = {}
    for entry in ENTRIES:
        if entry.multiple_choice:
            continue
        for source in entry.files:
            seen.setdefault(source.filename, source)
    return tuple(seen.values())


def download_paper_datasets(cache_dir=None, progress=None, *, data_dir=None) -> DownloadReport:
    """Make every paper dataset file available: what is missing is downloaded into
    ``<cache_dir>/datasets/`` and verified (the same path as a first use).

    progress : callback told ``ProgressEvent(stage="download", unit="files", detail=filename)``;
        returning False cancels (files already fetched stay).
    """

    found, downloaded, failed = [], [], []
    sources = paper_sources()
    offline: str | None = None
    for i, source in enumerate(sources):
        if progress is not None and progress(ProgressEvent("download", i, len(sources), unit="files",
                                                           detail=source.filename)) is False:

            raise Cancelled(f"download cancelled at {i}/{len(sources)} files")
        if find_local(source, data_dir, cache_dir) is not None:
            found.append(source.filename)
            continue
        if offline is not None:  # one failed download says the network is out: do not wait on each file
            failed.append((source.filename, f"not tried: {offline}"))
            continue
        try:
            locate_file(source, data_dir=data_dir, cache_dir=cache_dir)
            downloaded.append(source.filename)
        except DownloadFailed as exc:
            failed.append((source.filename, str(exc)))
            offline = f"downloading {source.filename} failed first"
        except UnavailableError as exc:  # e.g. a checksum mismatch: this file only
            failed.append((source.filename, str(exc)))
    if progress is not None:
        progress(ProgressEvent("download", len(sources), len(sources), unit="files"))
    return DownloadReport(tuple(found), tuple(downloaded), tuple(failed))
