"""16 seeds trained as one batched model against 16 sequential single runs, same work.

A 2-8-8-1 tanh net, Adam, batch 10, on XOR; both sides record snapshots every 10 steps.
The ratio is the figure (target: at least 8x). A third line trains the same 16 networks with
PyTorch's own tool for model ensembles, `torch.func.stack_module_state` + `vmap(functional_call)`,
same batches, no snapshots: what `SeedsTrainer`'s hand-written batched forward is measured
against (it is kept only while it is at least as fast; it also draws each seed's dropout masks
from that seed's generator, which vmap's randomness cannot).

    .venv/bin/python -m bench.seeds [--seeds 16] [--steps 1000]
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
from torch.func import functional_call, stack_module_state, vmap

from engine import RunConfig, Snapshots, Trainer, train
from engine.core.loop import EVERY_10
from engine.core.models import build_model
from engine.core.optimizers import make_optimizer
from engine.experiments.seeds import SeedsTrainer

CONFIG = RunConfig(dataset="xor", hidden_sizes=(8, 8), activation="tanh", optimizer="adam", batch_size=10)


def sequential_seconds(seeds: int, steps: int) -> float:
    data = Trainer(CONFIG).data
    started = time.perf_counter()
    for k in range(seeds):
        train(Trainer(CONFIG.replace(seed=k), data=data), steps)
    return time.perf_counter() - started


def batched_seconds(seeds: int, steps: int, snapshots: Snapshots = EVERY_10) -> float:
    started = time.perf_counter()
    train(SeedsTrainer(CONFIG, n_seeds=seeds), steps, snapshots=snapshots)
    return time.perf_counter() - started


def vmap_seconds(seeds: int, steps: int) -> float:
    """The same seeds, batches and optimizer through torch.func (forward and backward only)."""
    reference = SeedsTrainer(CONFIG, n_seeds=seeds)
    models = [build_model(CONFIG.replace(seed=s), (2,), 1) for s in reference.seeds]
    params, buffers = stack_module_state(models)
    params = {name: torch.nn.Parameter(value) for name, value in params.items()}
    skeleton = copy.deepcopy(models[0]).to("meta")
    forward = vmap(lambda p, b, x: functional_call(skeleton, (p, b), (x,)))
    optimizer = make_optimizer(CONFIG.optimizer, params.values(), CONFIG.learning_rate)
    loss = torch.nn.BCEWithLogitsLoss(reduction="none")
    started = time.perf_counter()
    for _ in range(steps):
        x, targets = reference._next_batch()  # the very batches SeedsTrainer trains on
        losses = loss(forward(params, buffers, x), targets).mean(dim=(1, 2))
        optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        optimizer.step()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    batched_seconds(2, 20)  # warm-up
    sequential = min(sequential_seconds(args.seeds, args.steps) for _ in range(2))
    batched = min(batched_seconds(args.seeds, args.steps) for _ in range(2))
    batched_no_snapshots = min(batched_seconds(args.seeds, args.steps, Snapshots(every=None, at_end=False))
                               for _ in range(2))
    with_vmap = min(vmap_seconds(args.seeds, args.steps) for _ in range(2))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; 2-8-8-1 tanh, Adam, batch 10, "
          f"{args.seeds} seeds x {args.steps} steps")
    print(f"{args.seeds} sequential single runs  {sequential:6.2f} s")
    print(f"one batched model of {args.seeds} seeds {batched:6.2f} s   {sequential / batched:5.1f}x faster (target >= 8x)")
    print(f"  without snapshots: ours {batched_no_snapshots:6.2f} s, torch.func vmap(functional_call) {with_vmap:6.2f} s "
          f"(ours {with_vmap / batched_no_snapshots:.2f}x as fast)")


if __name__ == "__main__":
    main()
