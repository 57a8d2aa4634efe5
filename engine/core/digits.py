"""Turn a digit drawn by a student into the kind of image an MNIST network was trained on.

MNIST's digits were not just shrunk to 28x28: each was cropped to its ink, scaled so its
longer side is 20 pixels (keeping its shape, with anti-aliasing that leaves grey edges),
and pasted into a 28x28 field so that its centre of mass sits in the middle. A network
trained on MNIST has only ever seen digits prepared that way, so a drawing must be
prepared the same way before the network can read it: a digit drawn small in a corner
would otherwise look like nothing it knows.
"""

from __future__ import annotations

import numpy as np

MNIST_SIZE = 28  # the image is 28x28 pixels
DIGIT_SIZE = 20  # the digit's longer side after size normalisation
MNIST_CENTRE = 14.0  # where the centre of mass goes, in pixel indices (MNIST's own average)


def to_mnist(pixels: np.ndarray) -> np.ndarray:
    """Prepare a drawing the way MNIST's digits were prepared.

    `pixels` is a greyscale image of any size (H x W): white ink on black, as floats in
    [0, 1] or as uint8 grey levels. Returns a 28x28 float32 image in [0, 1]: the ink cropped,
    scaled so its longer side is 20 pixels, and shifted so its centre of mass is at (14, 14).
    A drawing with no ink gives an all-zero image.
    """
    image = _as_unit_float(pixels)
    mnist = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    rows, cols = np.nonzero(image > 0)  # the pad's background is exactly black: any grey is ink
    if rows.size == 0:
        return mnist
    digit = image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]

    height, width = digit.shape
    scale = DIGIT_SIZE / max(height, width)
    digit = _area_resize(digit, max(1, round(height * scale)), max(1, round(width * scale)))

    # Shift so the centre of mass lands on (14, 14); ink pushed past an edge is cut off.
    centre_row, centre_col = centre_of_mass(digit)
    top, left = round(MNIST_CENTRE - centre_row), round(MNIST_CENTRE - centre_col)
    height, width = digit.shape
    r0, c0 = max(0, top), max(0, left)
    r1, c1 = min(MNIST_SIZE, top + height), min(MNIST_SIZE, left + width)
    if r0 < r1 and c0 < c1:
        mnist[r0:r1, c0:c1] = digit[r0 - top : r1 - top, c0 - left : c1 - left]
    return np.clip(mnist, 0.0, 1.0)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """The ink-weighted mean (row, column) of an image, in pixel indices; the image's
    middle if it has no ink."""
    total = float(image.sum())
    if total <= 0:
        return (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2
    row = float(image.sum(axis=1) @ np.arange(image.shape[0])) / total
    col = float(image.sum(axis=0) @ np.arange(image.shape[1])) / total
    return row, col


def _as_unit_float(pixels: np.ndarray) -> np.ndarray:
    """A 2-D float64 copy of `pixels` with grey levels in [0, 1]."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 2:
        raise ValueError(f"a drawing must be a 2-D greyscale image, got shape {pixels.shape}")
    if pixels.dtype == np.uint8:
        return pixels / 255.0
    return np.clip(pixels.astype(np.float64), 0.0, 1.0)


def _area_weights(size_in: int, size_out: int) -> np.ndarray:
    """A (size_out, size_in) matrix whose row i holds how much of each input pixel falls
    inside output pixel i, as a share of that output pixel: rows sum to 1."""
    edges = np.linspace(0.0, size_in, size_out + 1)  # output pixel borders, in input pixels
    starts = np.arange(size_in)
    overlap = np.minimum(edges[1:, None], starts + 1) - np.maximum(edges[:-1, None], starts)
    return np.clip(overlap, 0.0, None) / (size_in / size_out)


def _area_resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize by area averaging: each output pixel is the mean of the input it covers.

    Shrinking a thick stroke this way leaves grey, anti-aliased edges like MNIST's, rather
    than the jagged edges of keeping every n-th pixel.
    """
    return _area_weights(image.shape[0], height) @ image @ _area_weights(image.shape[1], width).T
