from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]

# The app runs one torch thread per process; so do the tests. On a busy 2-core machine torch's
# default of two threads makes each tiny training step many times slower.
torch.set_num_threads(1)
