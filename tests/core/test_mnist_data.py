import functools
import gzip
import hashlib
import shutil
import struct
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from engine.cli import download_main
from engine.core.datasets import MNIST_MEAN, MNIST_STD
from engine.core.mnist_data import (
    DATA_DIR,
    IMAGES_MAGIC,
    LABELS_MAGIC,
    MNIST_FILES,
    MnistError,
    download_mnist,
    load_mnist,
    parse_idx,
)

TEST_LABELS = MNIST_FILES["test_labels"]
ONLY_TEST_LABELS = {"test_labels": TEST_LABELS}


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


@pytest.fixture
def mnist_copy(tmp_path):
    """A private copy of the shipped files, for tests that damage one."""
    for idx_file in MNIST_FILES.values():
        shutil.copy(DATA_DIR / idx_file.name, tmp_path / idx_file.name)
    return tmp_path


def regzip(path, content: bytes) -> None:
    with gzip.GzipFile(path, "wb", compresslevel=1, mtime=0) as out:
        out.write(content)


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_shipped_mnist_has_60000_training_and_10000_test_digits(mnist):
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.train_images.dtype == np.uint8
    assert mnist.test_images.shape == (10000, 28, 28) and mnist.test_images.dtype == np.uint8
    assert mnist.train_labels.shape == (60000,) and mnist.train_labels.dtype == np.int64
    assert mnist.test_labels.shape == (10000,) and mnist.test_labels.dtype == np.int64
    assert set(np.unique(mnist.train_labels)) == set(range(10))


def test_digits_come_in_the_original_order(mnist):
    assert mnist.train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def test_training_pixels_have_the_mean_and_std_the_inputs_are_normalised_by(mnist):
    # From the count of each grey level: 256 numbers instead of 47 million floats.
    counts = np.bincount(mnist.train_images.ravel(), minlength=256)
    levels = np.arange(256) / 255.0
    mean = np.average(levels, weights=counts)
    std = np.sqrt(np.average((levels - mean) ** 2, weights=counts))
    assert mean == pytest.approx(MNIST_MEAN, abs=1e-4)
    assert std == pytest.approx(MNIST_STD, abs=1e-4)


def test_arrays_are_read_only_so_sessions_can_share_them(mnist):
    for array in (mnist.train_images, mnist.train_labels, mnist.test_images, mnist.test_labels):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0


def test_shipped_gz_files_are_the_ones_sha256sums_lists():
    listed = dict(reversed(line.split()) for line in (DATA_DIR / "SHA256SUMS").read_text().splitlines())
    assert listed == {idx_file.name: sha256(DATA_DIR / idx_file.name) for idx_file in MNIST_FILES.values()}


def test_parse_idx_shapes_the_data_as_its_header_says():
    raw = struct.pack(">IIII", IMAGES_MAGIC, 2, 3, 4) + bytes(range(24))
    images = parse_idx(raw, IMAGES_MAGIC)
    assert images.shape == (2, 3, 4) and images.dtype == np.uint8
    assert images[1, 2, 3] == 23


def test_parse_idx_rejects_a_label_file_where_images_are_expected():
    raw = struct.pack(">II", LABELS_MAGIC, 3) + bytes([1, 2, 3])
    with pytest.raises(MnistError, match=r"not an IDX image file \(magic 2049, expected 2051\)"):
        parse_idx(raw, IMAGES_MAGIC)


@pytest.mark.parametrize("extra", [-1, 1])
def test_parse_idx_rejects_data_shorter_or_longer_than_its_header(extra):
    raw = struct.pack(">II", LABELS_MAGIC, 3) + bytes(3 + extra)
    with pytest.raises(MnistError, match=r"wrong size for its header"):
        parse_idx(raw, LABELS_MAGIC)


def test_loader_names_the_missing_file_and_how_to_fetch_it(mnist_copy):
    (mnist_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    missing = r"t10k-labels-idx1-ubyte\.gz is missing; to fetch it, run: python -m engine download-mnist --dir"
    with pytest.raises(MnistError, match=missing):
        load_mnist(mnist_copy)


def test_loader_names_a_truncated_file(mnist_copy):
    path = mnist_copy / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(MnistError, match=r"train-labels-idx1-ubyte\.gz is corrupt \(not a complete gzip file"):
        load_mnist(mnist_copy)


def test_loader_catches_one_changed_label_by_its_checksum(mnist_copy):
    path = mnist_copy / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[8] = 3  # the first test digit is a 7; call it a 3
    regzip(path, bytes(raw))
    with pytest.raises(MnistError, match=r"t10k-labels-idx1-ubyte\.gz is corrupt \(SHA-256 mismatch\)"):
        load_mnist(mnist_copy)


def test_loader_says_when_a_label_file_stands_in_for_images(mnist_copy):
    shutil.copy(mnist_copy / "t10k-labels-idx1-ubyte.gz", mnist_copy / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(MnistError, match=r"t10k-images-idx3-ubyte\.gz is not an IDX image file \(magic 2049, expected 2051\)"):
        load_mnist(mnist_copy)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory):
    """A local HTTP server with three mirrors: `good` serves the four files gzipped at
    another level than ours (so only their content matches), `corrupt` serves test labels
    with one label changed, `empty` serves nothing (404)."""
    served = tmp_path_factory.mktemp("mirrors")
    for name in ("good", "corrupt", "empty"):
        (served / name).mkdir()
    for idx_file in MNIST_FILES.values():
        regzip(served / "good" / idx_file.name, gzip.decompress((DATA_DIR / idx_file.name).read_bytes()))
    raw = bytearray(gzip.decompress((DATA_DIR / TEST_LABELS.name).read_bytes()))
    raw[8] = 3
    regzip(served / "corrupt" / TEST_LABELS.name, bytes(raw))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield {"good": f"{base}/good/", "corrupt": f"{base}/corrupt/", "empty": f"{base}/empty/", "folder": served}
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """Reach the local server directly even on a machine configured with a web proxy."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_download_fills_an_empty_folder_from_a_mirror_with_other_gzip_bytes(mirrors, tmp_path):
    calls = []
    downloaded = download_mnist(tmp_path, [mirrors["good"]], progress=lambda *call: calls.append(call))
    assert downloaded == [idx_file.name for idx_file in MNIST_FILES.values()]
    for idx_file in MNIST_FILES.values():
        served = mirrors["folder"] / "good" / idx_file.name
        assert sha256(tmp_path / idx_file.name) == sha256(served) != sha256(DATA_DIR / idx_file.name)
        reports = [(done, total) for name, done, total in calls if name == idx_file.name]
        assert reports[0] == (0, served.stat().st_size) and reports[-1] == (served.stat().st_size,) * 2
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f.name for f in MNIST_FILES.values())
    assert load_mnist(tmp_path).test_labels[:3].tolist() == [7, 2, 1]


def test_download_leaves_valid_files_alone(mnist_copy, mirrors):
    before = sha256(mnist_copy / TEST_LABELS.name)
    assert download_mnist(mnist_copy, [mirrors["empty"]]) == []
    assert sha256(mnist_copy / TEST_LABELS.name) == before


def test_download_falls_back_past_missing_and_corrupt_mirrors(mirrors, tmp_path):
    calls = []
    order = [mirrors["empty"], mirrors["corrupt"], mirrors["good"]]
    downloaded = download_mnist(tmp_path, order, progress=lambda *call: calls.append(call), files=ONLY_TEST_LABELS)
    assert downloaded == [TEST_LABELS.name]
    assert [done for _, done, _ in calls].count(0) == 2  # the corrupt mirror's copy, then the good one
    assert sha256(tmp_path / TEST_LABELS.name) == sha256(mirrors["folder"] / "good" / TEST_LABELS.name)


def test_download_replaces_a_corrupt_file(mnist_copy, mirrors):
    (mnist_copy / TEST_LABELS.name).write_bytes(b"not gzip")
    assert download_mnist(mnist_copy, [mirrors["good"]], files=ONLY_TEST_LABELS) == [TEST_LABELS.name]
    load_mnist(mnist_copy)


def test_download_names_the_file_and_every_mirror_when_all_fail(mirrors, tmp_path):
    with pytest.raises(MnistError) as failure:
        download_mnist(tmp_path, [mirrors["empty"], mirrors["corrupt"]], files=ONLY_TEST_LABELS)
    message = str(failure.value)
    assert message.startswith(f"could not download {TEST_LABELS.name}")
    assert f"{mirrors['empty']}{TEST_LABELS.name}: HTTP Error 404" in message
    assert f"{mirrors['corrupt']}{TEST_LABELS.name}: served a file that is corrupt (SHA-256 mismatch)" in message
    assert list(tmp_path.iterdir()) == []  # no half-downloaded or unverified file left behind


def test_download_command_draws_a_bar_per_file_and_sums_up(mnist_copy, mirrors, capsys):
    (mnist_copy / TEST_LABELS.name).unlink()
    assert download_main(["--dir", str(mnist_copy), "--mirror", mirrors["good"]]) == 0
    out, err = capsys.readouterr()
    assert f"\r{TEST_LABELS.name}" in err and "] 100% 4.7/4.7 kB\n" in err
    assert out.strip().endswith("1 downloaded, 3 already present and valid.")


def test_download_command_fails_with_one_error_line(mirrors, tmp_path, capsys):
    assert download_main(["--dir", str(tmp_path), "--mirror", mirrors["empty"]]) == 1
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: could not download train-images-idx3-ubyte.gz")
    assert "Traceback" not in err and out == ""
