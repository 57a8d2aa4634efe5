"""MNIST, read from the four standard IDX files, checked, and downloaded when missing.

    mnist = load_mnist()          # the copy shipped in data/mnist/
    mnist.train_images[0]         # a (28, 28) uint8 image of a 5

An IDX file is a big-endian header (a magic number, then one 32-bit size per
dimension) followed by the raw bytes. We check each file by the SHA-256 of its
*uncompressed* content: every mirror gzips the same IDX bytes, but their .gz bytes
differ (ours were recompressed with `gzip -n -9`), so only the inner checksum is
common to all of them.

    python -m engine download-mnist [--dir DIR] [--mirror URL ...]

fetches any file that is missing or corrupt. NumPy and the standard library only.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import shlex
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

import numpy as np

from engine.core.problems import EngineError, Name, Problem

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Where MNIST is read from, first match wins: the folder named by this environment variable;
# the checkout's data/mnist; the copy `pip install` puts in <prefix>/share/nn-playground/mnist.
DATA_ENV = "NN_PLAYGROUND_MNIST"
CHECKOUT_DATA_DIR = PROJECT_DIR / "data" / "mnist"
INSTALLED_DATA_DIR = Path(sys.prefix) / "share" / "nn-playground" / "mnist"


def data_dir() -> Path:
    """The MNIST folder this process reads (see DATA_ENV above)."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    if CHECKOUT_DATA_DIR.is_dir() or not INSTALLED_DATA_DIR.is_dir():
        return CHECKOUT_DATA_DIR
    return INSTALLED_DATA_DIR


DATA_DIR = data_dir()

IMAGES_MAGIC = 2051  # 0x0803: unsigned bytes, 3 dimensions (count, rows, columns)
LABELS_MAGIC = 2049  # 0x0801: unsigned bytes, 1 dimension (count)
UNSIGNED_BYTE = 0x08  # the IDX type code in the magic number's third byte; the only type MNIST uses
FILE_KINDS = {IMAGES_MAGIC: Problem("idx_images"), LABELS_MAGIC: Problem("idx_labels")}  # "an IDX image file"


@dataclass(frozen=True)
class IdxFile:
    """One of the four MNIST files: its name on every mirror, its magic number and
    the SHA-256 of its uncompressed content."""

    name: str
    magic: int
    sha256: str


# Keyed by the `Mnist` field each file fills.
MNIST_FILES: dict[str, IdxFile] = {
    "train_images": IdxFile(
        "train-images-idx3-ubyte.gz", IMAGES_MAGIC, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    ),
    "train_labels": IdxFile(
        "train-labels-idx1-ubyte.gz", LABELS_MAGIC, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
    ),
    "test_images": IdxFile(
        "t10k-images-idx3-ubyte.gz", IMAGES_MAGIC, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
    ),
    "test_labels": IdxFile(
        "t10k-labels-idx1-ubyte.gz", LABELS_MAGIC, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
    ),
}

# Tried in order. yann.lecun.com, the original site, is left out: it now answers 403 to scripts.
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision's
    "https://storage.googleapis.com/cvdf-datasets/mnist/",  # TensorFlow's
)
DOWNLOAD_TIMEOUT_SECONDS = 30
DOWNLOAD_CHUNK_BYTES = 64 * 1024

Progress = Callable[[str, int, int | None], None]


class MnistError(EngineError):
    """An MNIST file is missing, corrupt or could not be downloaded; the message names it, and
    `problem` is the same message as a code and parameters (the MNIST page says it in Korean too)."""


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays elementwise has no single truth value
class Mnist:
    """The 60,000 training and 10,000 test digits, in the original order.

    Images are uint8 grey levels (0 = background) shaped (n, 28, 28); labels are int64
    digits 0-9. Every array is read-only: one copy is shared by every session of a server.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def parse_idx(raw: bytes, expected_magic: int) -> np.ndarray:
    """Parse the uncompressed bytes of an unsigned-byte IDX file.

    Returns a read-only uint8 array shaped as the header says, e.g. (60000, 28, 28) for
    images (magic 2051) and (60000,) for labels (magic 2049); the array is a view of
    `raw`, not a copy. Raises MnistError when the magic number is not `expected_magic`
    or the data is not exactly as long as the header promises.
    """
    if expected_magic >> 8 != UNSIGNED_BYTE:
        raise ValueError(f"only unsigned-byte IDX files can be parsed; magic {expected_magic} is another type")
    kind = FILE_KINDS.get(expected_magic) or Problem("idx_other", {"magic": expected_magic})
    if len(raw) < 4:
        raise MnistError("idx_too_short", kind=kind, size=len(raw))
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        raise MnistError("idx_wrong_magic", kind=kind, magic=magic, expected=expected_magic)
    n_dims = magic & 0xFF
    header_bytes = 4 + 4 * n_dims
    if len(raw) < header_bytes:
        raise MnistError("idx_header_too_short", kind=kind, size=len(raw), needed=header_bytes)
    shape = tuple(int(size) for size in np.frombuffer(raw, dtype=">u4", count=n_dims, offset=4))
    expected_bytes = header_bytes + math.prod(shape)
    if len(raw) != expected_bytes:
        raise MnistError("idx_wrong_size", size=len(raw), shape=Name(str(shape)), needed=expected_bytes)
    return np.frombuffer(raw, dtype=np.uint8, offset=header_bytes).reshape(shape)


def _read_idx_gz(path: Path, idx_file: IdxFile) -> np.ndarray:
    """Decompress, parse and checksum one file. Returns its array; raises MnistError whose
    message says what is wrong as a phrase to follow "<file> is", without the path."""
    try:
        raw = gzip.decompress(path.read_bytes())
    except OSError as error:
        if isinstance(error, gzip.BadGzipFile):
            raise MnistError("gzip_invalid", reason=Name(str(error))) from None
        raise MnistError("unreadable", reason=Name(error.strerror or str(error))) from None
    except (EOFError, zlib.error) as error:
        raise MnistError("gzip_incomplete", reason=Name(str(error))) from None
    array = parse_idx(raw, idx_file.magic)
    if hashlib.sha256(raw).hexdigest() != idx_file.sha256:
        raise MnistError("checksum_mismatch")
    return array


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_DIR))
    except ValueError:
        return str(path)


def _download_command(root: Path) -> Name:
    """The command that fetches MNIST into `root`."""
    command = "python -m engine download-mnist"
    if root.resolve() != DATA_DIR:
        command += f" --dir {shlex.quote(str(root))}"
    return Name(command)


def load_mnist(root: Path = DATA_DIR) -> Mnist:
    """Read and verify the four MNIST files in `root`.

    Returns the digits as an `Mnist` of read-only arrays. Raises MnistError naming the
    first file that is missing, corrupt (SHA-256 of its content) or not the IDX file it
    should be, and saying how to fetch it again.
    """
    root = Path(root)
    # Look for every file before decompressing any, so a missing one is reported at once.
    for idx_file in MNIST_FILES.values():
        path = root / idx_file.name
        if not path.is_file():
            raise MnistError("mnist_missing", file=Name(shown(path)), command=_download_command(root))
    arrays = {}
    for field, idx_file in MNIST_FILES.items():
        path = root / idx_file.name
        try:
            arrays[field] = _read_idx_gz(path, idx_file)
        except MnistError as error:
            raise MnistError("mnist_damaged", file=Name(shown(path)), problem=error.problem,
                             command=_download_command(root)) from None
    # int64, the label type torch's losses take, like the labels of the 2-D datasets.
    for field in ("train_labels", "test_labels"):
        arrays[field] = arrays[field].astype(np.int64)
    for array in arrays.values():
        array.flags.writeable = False
    return Mnist(**arrays)


def _is_valid(path: Path, idx_file: IdxFile) -> bool:
    if not path.is_file():
        return False
    try:
        _read_idx_gz(path, idx_file)
    except MnistError:
        return False
    return True


def _fetch(url: str, destination: Path, report: Callable[[int, int | None], None]) -> None:
    """Stream `url` into `destination` chunk by chunk, reporting (bytes so far, total or None)."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response, destination.open("wb") as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length else None
        done = 0
        report(done, total)
        while chunk := response.read(DOWNLOAD_CHUNK_BYTES):
            out.write(chunk)
            done += len(chunk)
            report(done, total)
    if total is not None and done != total:
        raise MnistError("transfer_stopped", done=done, total=total)


def _fetch_verified(url: str, path: Path, idx_file: IdxFile, progress: Progress | None) -> None:
    """Download `url` beside `path`, check it, then move it into place in one step, so a
    reader never sees a half-written or unverified file."""
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(handle)
    temp = Path(temp_name)
    try:
        _fetch(url, temp, lambda done, total: progress(idx_file.name, done, total) if progress else None)
        try:
            _read_idx_gz(temp, idx_file)
        except MnistError as error:
            raise MnistError("served_bad_file", problem=error.problem) from None
        temp.chmod(0o644)  # mkstemp makes files private (0600); a server may run as another user
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def one_line(error: BaseException) -> str:
    text = str(error)
    if isinstance(error, urllib.error.URLError) and not isinstance(error, urllib.error.HTTPError):
        text = str(error.reason)  # "[Errno 111] Connection refused", not "<urlopen error [Errno 111] ...>"
    return " ".join(text.split()) or type(error).__name__


def download_mnist(
    root: Path = DATA_DIR,
    mirrors: Sequence[str] = MIRRORS,
    progress: Progress | None = None,
    files: Mapping[str, IdxFile] = MNIST_FILES,
) -> list[str]:
    """Fetch every file of `files` that is missing or corrupt in `root`, trying `mirrors` in order.

    Each download is streamed, calling `progress(file name, bytes so far, total bytes or
    None)` after every chunk, and is checked by the SHA-256 of its uncompressed content
    before it replaces anything; a mirror that fails or serves a bad file is skipped for
    the next. Returns the names of the files downloaded (files already valid are left
    alone). Raises MnistError naming the file, and what each mirror did, if none worked.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    downloaded = []
    for idx_file in files.values():
        path = root / idx_file.name
        if _is_valid(path, idx_file):
            continue
        failures = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + idx_file.name
            try:
                _fetch_verified(url, path, idx_file, progress)
                break
            # OSError covers URLError, HTTP errors and timeouts; HTTPException a connection
            # cut mid-file; ValueError a malformed URL or Content-Length.
            except (OSError, HTTPException, ValueError, MnistError) as error:
                failures.append(f"{url}: {one_line(error)}")
        else:
            tried = Name("; ".join(failures)) if failures else Problem("no_mirrors")
            raise MnistError("download_failed", file=Name(idx_file.name), folder=Name(shown(root)), tried=tried)
        downloaded.append(idx_file.name)
    return downloaded
