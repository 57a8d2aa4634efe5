"""16 seeds trained as one batched model against 16 sequential single runs, same work.

A 2-8-8-1 tanh net, Adam, batch 10, on XOR; both sides record snapshots every 10 steps.
The ratio is the figure (target: at least 8x).

    .venv/bin/python bench/seeds.py [--seeds 16] [--steps 1000]
"""

from __future__ import annotations

import argparse
import time

import torch

from engine import RunConfig, Trainer
from engine.experiments.seeds import SeedsTrainer

CONFIG = RunConfig(dataset="xor", hidden_sizes=(8, 8), activation="tanh", optimizer="adam", batch_size=10)


def sequential_seconds(seeds: int, steps: int) -> float:
    data = Trainer(CONFIG).data
    started = time.perf_counter()
    for k in range(seeds):
        Trainer(CONFIG.replace(seed=k), data=data).train(steps)
    return time.perf_counter() - started


def batched_seconds(seeds: int, steps: int) -> float:
    started = time.perf_counter()
    SeedsTrainer(CONFIG, n_seeds=seeds).train(steps)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    batched_seconds(2, 20)  # warm-up
    sequential = min(sequential_seconds(args.seeds, args.steps) for _ in range(2))
    batched = min(batched_seconds(args.seeds, args.steps) for _ in range(2))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; 2-8-8-1 tanh, Adam, batch 10, "
          f"{args.seeds} seeds x {args.steps} steps")
    print(f"{args.seeds} sequential single runs  {sequential:6.2f} s")
    print(f"one batched model of {args.seeds} seeds {batched:6.2f} s   {sequential / batched:5.1f}x faster (target >= 8x)")


if __name__ == "__main__":
    main()
