"""Preparing a drawn digit the way MNIST's digits were prepared (engine/core/digits.py)."""

import gzip
from pathlib import Path

import numpy as np
import pytest

from engine.core.digits import centre_of_mass, to_mnist

MNIST_TEST_IMAGES = Path("/work/shared/data/mnist/t10k-images-idx3-ubyte.gz")


def bounding_box(image: np.ndarray) -> tuple[int, int]:
    """(height, width) of the pixels with any ink."""
    rows, cols = np.nonzero(image > 0)
    return int(np.ptp(rows)) + 1, int(np.ptp(cols)) + 1


def pad_with_blob(size: int, top: int, left: int, height: int, width: int) -> np.ndarray:
    """A black square pad with one white rectangle of ink."""
    pad = np.zeros((size, size), dtype=np.float32)
    pad[top : top + height, left : left + width] = 1.0
    return pad


def test_an_empty_drawing_gives_an_empty_image():
    mnist = to_mnist(np.zeros((280, 280), dtype=np.uint8))
    assert mnist.shape == (28, 28) and mnist.dtype == np.float32
    assert not mnist.any()


def test_a_digit_drawn_in_a_corner_is_moved_to_the_middle():
    mnist = to_mnist(pad_with_blob(280, top=10, left=200, height=60, width=30))
    row, col = centre_of_mass(mnist)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5


def test_a_digit_is_scaled_so_its_longer_side_is_20_pixels_keeping_its_shape():
    tall = to_mnist(pad_with_blob(280, top=50, left=100, height=200, width=50))
    assert bounding_box(tall) == (20, 5)
    wide = to_mnist(pad_with_blob(280, top=100, left=20, height=30, width=240))
    height, width = bounding_box(wide)
    assert width == 20 and 2 <= height <= 3


def pad_with_an_l(size: int) -> np.ndarray:
    """An L drawn on the same share of a square pad of any size."""
    pad = np.zeros((size, size), dtype=np.float32)
    unit = size / 28
    pad[round(4 * unit) : round(24 * unit), round(8 * unit) : round(12 * unit)] = 1.0
    pad[round(20 * unit) : round(24 * unit), round(8 * unit) : round(20 * unit)] = 1.0
    return pad


@pytest.mark.parametrize("size", [28, 56, 280])
def test_pads_of_any_size_give_the_same_28x28_digit(size):
    mnist = to_mnist(pad_with_an_l(size))
    assert mnist.shape == (28, 28)
    assert bounding_box(mnist) == (20, 12)
    small = to_mnist(pad_with_an_l(28))
    assert np.corrcoef(mnist.ravel(), small.ravel())[0, 1] > 0.95


def test_grey_levels_stay_between_0_and_1_for_uint8_and_float_drawings():
    blob = pad_with_blob(56, top=5, left=20, height=40, width=10)
    from_uint8 = to_mnist((blob * 255).astype(np.uint8))
    from_float = to_mnist(blob)
    assert np.allclose(from_uint8, from_float)
    assert from_float.min() >= 0 and from_float.max() == pytest.approx(1.0)


def test_thick_strokes_are_shrunk_with_soft_grey_edges_like_mnist():
    # An L 200 px tall with 17-px strokes: scaled by 20/200 they are 1.7 px wide, a full pixel and a grey one.
    pad = pad_with_blob(280, top=40, left=100, height=200, width=17)
    pad[223:240, 100:200] = 1.0
    mnist = to_mnist(pad)
    greys = mnist[(mnist > 0.05) & (mnist < 0.95)]
    assert greys.size > 0


def test_a_drawing_must_be_a_greyscale_image():
    with pytest.raises(ValueError, match="2-D greyscale"):
        to_mnist(np.zeros((28, 28, 3)))


@pytest.mark.skipif(not MNIST_TEST_IMAGES.exists(), reason="MNIST is not in /work/shared/data")
def test_real_mnist_digits_come_through_almost_unchanged():
    raw = gzip.decompress(MNIST_TEST_IMAGES.read_bytes())
    digits = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 28, 28)[:100]  # IDX: 16-byte header
    for digit in digits:
        mnist = to_mnist(digit)
        assert np.corrcoef(mnist.ravel(), digit.ravel())[0, 1] > 0.8
    # ...and one blown up to a 280x280 pad, as if a student had traced it, still matches.
    traced = np.kron(digits[0], np.ones((10, 10), dtype=np.uint8))
    assert np.corrcoef(to_mnist(traced).ravel(), digits[0].ravel())[0, 1] > 0.8
