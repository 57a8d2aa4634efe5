"""What a network gets right and wrong: a classifier's from labels and predicted
probabilities, a regression's from target and predicted values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts of (true class, predicted class): row = truth, column = prediction."""
    return np.bincount(labels * n_classes + predictions, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """Share of each true class predicted correctly (the confusion matrix's diagonal / row sums)."""
    totals = matrix.sum(axis=1)
    return np.divide(np.diag(matrix), totals, out=np.zeros(len(matrix)), where=totals > 0)


@dataclass(frozen=True)
class Mistake:
    index: int  # position in the test set
    label: int
    predicted: int
    confidence: float  # the probability the model gave its (wrong) answer


def mistakes(labels: np.ndarray, probabilities: np.ndarray, limit: int = 24) -> list[Mistake]:
    """The misclassified examples the model was most sure about, most confident first."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    order = wrong[np.argsort(-confidence, kind="stable")][:limit]
    return [Mistake(int(i), int(labels[i]), int(predicted[i]), float(probabilities[i, predicted[i]])) for i in order]


def r_squared(targets: np.ndarray, predictions: np.ndarray) -> float:
    """1 - (mean squared error / variance of the targets): the share of the targets'
    spread the network explains. 0 is no better than always answering the mean; 1 is
    perfect; below 0 is worse than the mean. NaN if the targets do not vary."""
    targets, predictions = np.asarray(targets, dtype=np.float64), np.asarray(predictions, dtype=np.float64)
    variance = targets.var()
    return float(1 - np.mean((predictions - targets) ** 2) / variance) if variance > 0 else float("nan")
