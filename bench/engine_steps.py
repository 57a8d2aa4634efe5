"""Steps per second of the engine's trainer against a plain PyTorch loop, same net, same run.

A 2-8-8-1 tanh network, batch 10, on XOR (200 points, 100 for training). The reference
is the loop a student would write: nn.Sequential, torch.optim with its defaults, random
mini-batches, forward/backward/step, nothing recorded. The trainer records every step's
loss, evaluates on the whole training and test sets and records per-layer gradient norms
every `record_every` steps (engine.core.loop's `Snapshots`). The ratio is the figure: >= 1.0 means recording costs nothing
a plain loop would not. Also prints the time to compute a 100x100 decision grid.

    .venv/bin/python -m bench.engine_steps
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

from engine import RunConfig, Trainer
from engine.core.loop import Snapshots, train
from engine.core.probes import decision_grid

STEPS = 3_000
REPEATS = 5
OPTIMIZERS = {"sgd": (torch.optim.SGD, 0.1), "adam": (torch.optim.Adam, 0.01)}


def plain_loop_steps_per_second(optimizer: str, x: torch.Tensor, y: torch.Tensor) -> float:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))
    make, lr = OPTIMIZERS[optimizer]
    opt = make(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    started = time.perf_counter()
    for step in range(STEPS):
        if step % 10 == 0:
            order = torch.randperm(len(x))
        index = order[(step % 10) * 10 : (step % 10) * 10 + 10]
        loss = loss_fn(model(x[index]), y[index])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return STEPS / (time.perf_counter() - started)


def trainer_steps_per_second(optimizer: str, record_every: int) -> float:
    trainer = Trainer(RunConfig(dataset="xor", hidden_sizes=(8, 8), activation="tanh", optimizer=optimizer,
                                batch_size=10))
    started = time.perf_counter()
    train(trainer, STEPS, snapshots=Snapshots(every=record_every))
    losses = trainer.history.batch_loss.values()  # converted once, as a page does once per frame
    assert len(losses) == STEPS
    return STEPS / (time.perf_counter() - started)


def decision_grid_milliseconds(resolution: int = 100, repeats: int = 200) -> float:
    trainer = Trainer(RunConfig(dataset="xor", hidden_sizes=(8, 8), activation="tanh"))
    decision_grid(trainer.network, trainer.data.bounds, resolution)  # builds and caches the grid's input points
    started = time.perf_counter()
    for _ in range(repeats):
        decision_grid(trainer.network, trainer.data.bounds, resolution)
    return 1000 * (time.perf_counter() - started) / repeats


def main() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; 2-8-8-1 tanh, batch 10, "
          f"{STEPS} steps, median of {REPEATS}")
    data = Trainer(RunConfig(dataset="xor")).data
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train).float().unsqueeze(1)
    for optimizer in OPTIMIZERS:
        plain_loop_steps_per_second(optimizer, x, y)  # warm-up
        trainer_steps_per_second(optimizer, 10)
        plain = statistics.median(plain_loop_steps_per_second(optimizer, x, y) for _ in range(REPEATS))
        print(f"{optimizer:5s} plain PyTorch loop          {plain:7.0f} steps/s")
        for record_every in (10, 100):
            ours = statistics.median(trainer_steps_per_second(optimizer, record_every) for _ in range(REPEATS))
            print(f"{optimizer:5s} trainer, record every {record_every:3d}  {ours:7.0f} steps/s  ratio {ours / plain:.2f}")
    print(f"decision grid 100x100 (2-8-8-1): {decision_grid_milliseconds():.2f} ms (target: well under 10 ms)")


if __name__ == "__main__":
    main()
