#!/usr/bin/env python3
"""PyTorch reference timings of the COMs workloads (tools/bench/run.js, coms-train-step and coms-train-step-256).

Plain PyTorch (float32, CPU) version of one `ConservativeObjectiveModel.update(z, y)` of
@bellman/mbo (Conservative Objective Models, Trabucco et al. 2021) with its continuous defaults,
on toy-continuous-v0's input width 8:

  model      MLP 8 -> H -> H -> 1, ReLU (H = 2048, the default; 256 for coms-train-step-256),
             nn.Linear's init (uniform +-1/sqrt(fan in), as Bellman's Mlp)
  negatives  x <- x + eta grad_x sum_i f(x_i), 50 times from the batch, eta = 0.05 sqrt(8);
             each step one forward pass and one input-gradient pass (torch.autograd.grad with
             respect to x only: no weight gradients), the result detached
  model step one Adam step (lr 3e-4) on mean((f(x) - y)^2) + alpha mean(f(x_neg) - f(x)), with
             f(x) and f(x_neg) two forward passes of 128 rows and alpha = exp(log alpha) a constant
  alpha step one Adam step (lr 0.01) on log alpha for exp(log alpha) (tau - gap), gap the model
             step's mean(f(x_neg) - f(x)) as a constant, tau = 0.5, log alpha from log 0.1
  read-back  mse, gap, loss and alpha as Python floats (Bellman's update returns them as numbers)

on a fixed batch of 128 made before timing: z ~ N(0, I) [128, 8] (standardised designs), y ~ N(0, 1).
About 114 GFLOP of matrix products per update at H = 2048 (the ascent 50 x (1.08 forward + 1.08
input gradient) = 108, the model step 2 x 1.08 forward + 4.3 backward = 6.5), 1.84 GFLOP at H = 256.

Run with a python3 that has PyTorch (Debian's: apt-get install -y python3-torch libopenblas0-pthread):
  MALLOC_MMAP_THRESHOLD_=16777216 MALLOC_TRIM_THRESHOLD_=67108864 \\
    python3 tools/bench/torch_mbo.py [--threads 1] [--seconds 3] [--workload NAME ...]
Prints one JSON line per workload: {"workload", "msPerUpdate", "updatesPerSec", "impl": "torch", "threads"}.
"""
import math
import os
import sys


def _threads_argument(argv, default=1):
    for i, arg in enumerate(argv):
        if arg == '--threads' and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith('--threads='):
            return arg.split('=', 1)[1]
    return str(default)


# Debian's PyTorch 1.13 runs its products on OpenBLAS (libopenblas0-pthread), whose own thread pool
# torch.set_num_threads does not reach: without this every product runs on both cores here (an
# update of coms-train-step took 0.82 s of wall time and 1.64 s of CPU time). OpenBLAS reads the
# variable when it is loaded, i.e. on `import torch`, so it is set from --threads first.
os.environ['OPENBLAS_NUM_THREADS'] = _threads_argument(sys.argv[1:])

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from torch_learners import main  # noqa: E402

INPUT_WIDTH = 8
BATCH = 128
ASCENT_STEPS = 50
ETA = 0.05 * math.sqrt(INPUT_WIDTH)
LEARNING_RATE = 3e-4
INITIAL_ALPHA = 0.1
ALPHA_LEARNING_RATE = 0.01
TARGET_GAP = 0.5


def coms_update(hidden):
    def make():
        model = nn.Sequential(
            nn.Linear(INPUT_WIDTH, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, 1),
        )
        model_opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        log_alpha = torch.tensor(math.log(INITIAL_ALPHA), requires_grad=True)
        alpha_opt = torch.optim.Adam([log_alpha], lr=ALPHA_LEARNING_RATE)
        z = torch.randn(BATCH, INPUT_WIDTH)
        y = torch.randn(BATCH)

        def ascend(x):
            x = x.clone()
            for _ in range(ASCENT_STEPS):
                x.requires_grad_(True)
                (grad,) = torch.autograd.grad(model(x).sum(), x)
                x = (x + ETA * grad).detach()
            return x

        def step():
            z_neg = ascend(z)
            f_data = model(z).reshape(-1)
            f_neg = model(z_neg).reshape(-1)
            mse = (f_data - y).square().mean()
            gap = (f_neg - f_data).mean()
            loss = mse + log_alpha.detach().exp() * gap
            model_opt.zero_grad()
            loss.backward()
            model_opt.step()
            gap_value = gap.detach()
            alpha_loss = log_alpha.exp() * (TARGET_GAP - gap_value)
            alpha_opt.zero_grad()
            alpha_loss.backward()
            alpha_opt.step()
            return mse.item(), gap_value.item(), loss.item(), log_alpha.detach().exp().item()
        return step
    return make


WORKLOADS = {
    'coms-train-step': coms_update(2048),
    'coms-train-step-256': coms_update(256),
}

# (warm-up, timed) calls at least, as the Bellman harness's: one 2048-wide update takes seconds
MIN_ITERATIONS = {
    'coms-train-step': (1, 2),
}


if __name__ == '__main__':
    main(WORKLOADS, __doc__.split('\n')[0], MIN_ITERATIONS)
