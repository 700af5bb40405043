#!/usr/bin/env python3
"""PyTorch reference timings of the diffusion workloads (tools/bench/run.js, unet-train-step and diffuser-sample-plan).

Plain PyTorch (float32, CPU) versions of @bellman/diffusion's Diffuser with its maze2d umaze
config: trajectories [batch, H 128, 6] (a row is action (2) then observation (4)), T = 64
diffusion steps, and Diffuser's temporal U-Net (dim 32, mults (1, 4, 8)):

  Conv1dBlock(in, out, k)    Conv1d(k, padding k // 2) -> GroupNorm(8) -> Mish
  ResidualTemporalBlock      block1(x) + Linear(Mish(embedding)) over time -> block2 -> + residual(x)
                             (residual: a 1x1 Conv1d when in != out)
  time embedding             sinusoidal(32) -> Linear(32, 128) -> Mish -> Linear(128, 32)
  down levels (6 -> 32, 32 -> 128, 128 -> 256)
                             two residual blocks each, Conv1d(k 3, stride 2, padding 1) after all but the last
  mid                        two residual blocks at 256 channels
  up levels (deepest first)  concat the level's skip, two residual blocks, ConvTranspose1d(k 4, stride 2, padding 1)
  final                      Conv1dBlock(32, 32, 5) -> Conv1d(32, 6, 1)

and the cosine schedule: alpha-bar(s) = cos(((s / (T + 1)) + 0.008) / 1.008 * pi / 2)^2, normalised,
betas 1 - alpha-bar(t + 1) / alpha-bar(t) clipped to [0, 0.999], posterior coefficients from them.

  unet-train-step       one training step on a fixed window batch of 32, uniform in [-1, 1]: steps
                        t ~ U{0..63} and noise drawn, x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise
                        with the observations at t = 0 and H - 1 written in from x0, the loss
                        mean(w * (net(x_t, t) - x0)^2) with w 0 at those written-in states (and
                        the padding mask, all ones here), the first action's MSE beside it, one
                        Adam step (lr 2e-4), the loss read back, and the moving average (a copy of
                        the weights every 10 steps, as before EMA's start step)
  diffuser-sample-plan  one plan (batch 1) with the moving-average network, without gradients:
                        x_T ~ N(0, I), then 64 ancestral steps x_{t-1} = coef1_t clip(net(x_t, t), -1, 1)
                        + coef2_t x_t + exp(log var_t / 2) noise (no noise at t = 0), the start
                        and goal observations written in on the initial noise and after each step;
                        the plan read back

Run with a python3 that has PyTorch (Debian's: apt-get install -y python3-torch libopenblas0-pthread):
  python3 tools/bench/torch_diffusion.py [--threads 1] [--seconds 3] [--workload NAME ...]
Prints one JSON line per workload: {"workload", "msPerUpdate", "updatesPerSec", "impl": "torch", "threads"}.
"""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_learners import main

HORIZON = 128
ACTION_DIM, OBSERVATION_DIM = 2, 4
TRANSITION_DIM = ACTION_DIM + OBSERVATION_DIM
DIFFUSION_STEPS = 64
DIM, DIM_MULTS, NORM_GROUPS = 32, (1, 4, 8), 8
BATCH = 32
LEARNING_RATE = 2e-4
EMA_EVERY = 10
CONDITION_TIMES = (0, HORIZON - 1)


def conv_block(cin, cout, k):
    return nn.Sequential(nn.Conv1d(cin, cout, k, padding=k // 2), nn.GroupNorm(NORM_GROUPS, cout), nn.Mish())


class ResidualTemporalBlock(nn.Module):
    def __init__(self, cin, cout, embedding_dim):
        super().__init__()
        self.block1, self.block2 = conv_block(cin, cout, 5), conv_block(cout, cout, 5)
        self.time = nn.Sequential(nn.Mish(), nn.Linear(embedding_dim, cout))
        self.residual = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, embedding):
        h = self.block2(self.block1(x) + self.time(embedding)[:, :, None])
        return h + self.residual(x)


class SinusoidalEmbedding(nn.Module):
    """[sin(t f_i)..., cos(t f_i)...], f_i = exp(-ln(10000) i / (half - 1))."""

    def __init__(self, dim):
        super().__init__()
        half = dim // 2
        self.register_buffer('frequencies', torch.exp(torch.arange(half) * (-math.log(10000) / (half - 1))))

    def forward(self, t):
        angles = t.float()[:, None] * self.frequencies[None, :]
        return torch.cat([angles.sin(), angles.cos()], dim=1)


class TemporalUnet(nn.Module):
    """[batch, H, D] trajectories and steps [batch] to [batch, H, D] (convolutions over [batch, D, H])."""

    def __init__(self):
        super().__init__()
        widths = [TRANSITION_DIM, *(DIM * m for m in DIM_MULTS)]
        pairs = list(zip(widths[:-1], widths[1:]))
        self.time = nn.Sequential(SinusoidalEmbedding(DIM), nn.Linear(DIM, 4 * DIM), nn.Mish(), nn.Linear(4 * DIM, DIM))
        self.downs = nn.ModuleList()
        for i, (cin, cout) in enumerate(pairs):
            down = nn.Conv1d(cout, cout, 3, stride=2, padding=1) if i < len(pairs) - 1 else nn.Identity()
            self.downs.append(nn.ModuleList([ResidualTemporalBlock(cin, cout, DIM), ResidualTemporalBlock(cout, cout, DIM), down]))
        deep = widths[-1]
        self.mid = nn.ModuleList([ResidualTemporalBlock(deep, deep, DIM), ResidualTemporalBlock(deep, deep, DIM)])
        self.ups = nn.ModuleList()
        for cin, cout in reversed(pairs[1:]):
            self.ups.append(nn.ModuleList([ResidualTemporalBlock(2 * cout, cin, DIM), ResidualTemporalBlock(cin, cin, DIM),
                                           nn.ConvTranspose1d(cin, cin, 4, stride=2, padding=1)]))
        self.final = nn.Sequential(conv_block(DIM, DIM, 5), nn.Conv1d(DIM, TRANSITION_DIM, 1))

    def forward(self, x, t):
        x = x.transpose(1, 2)
        embedding = self.time(t)
        skips = []
        for block1, block2, down in self.downs:
            x = block2(block1(x, embedding), embedding)
            skips.append(x)
            x = down(x)
        for block in self.mid:
            x = block(x, embedding)
        for block1, block2, up in self.ups:
            x = torch.cat([x, skips.pop()], dim=1)
            x = up(block2(block1(x, embedding), embedding))
        return self.final(x).transpose(1, 2)


class CosineSchedule:
    def __init__(self, steps):
        points = steps + 1
        s = torch.linspace(0, points, points, dtype=torch.float64)
        alpha_bar = torch.cos(((s / points) + 0.008) / 1.008 * math.pi * 0.5) ** 2
        alpha_bar = alpha_bar / alpha_bar[0]
        betas = torch.clip(1 - alpha_bar[1:] / alpha_bar[:-1], 0, 0.999)
        alphas = 1 - betas
        abar = torch.cumprod(alphas, 0)
        abar_prev = torch.cat([torch.ones(1, dtype=torch.float64), abar[:-1]])
        variance = betas * (1 - abar_prev) / (1 - abar)
        f32 = lambda v: v.float()
        self.sqrt_abar, self.sqrt_one_minus_abar = f32(abar.sqrt()), f32((1 - abar).sqrt())
        self.log_variance = f32(torch.log(torch.clamp(variance, min=1e-20)))
        self.coef1 = f32(betas * abar_prev.sqrt() / (1 - abar))
        self.coef2 = f32((1 - abar_prev) * alphas.sqrt() / (1 - abar))


def condition(x, states):
    """x with the observations of `states` ([batch, H, D]) at CONDITION_TIMES written in."""
    x = x.clone()
    for t in CONDITION_TIMES:
        x[:, t, ACTION_DIM:] = states[:, t, ACTION_DIM:]
    return x


def unet_train_step():
    net = TemporalUnet()
    ema = copy.deepcopy(net)
    opt = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    schedule = CosineSchedule(DIFFUSION_STEPS)
    x0 = torch.rand(BATCH, HORIZON, TRANSITION_DIM) * 2 - 1
    mask = torch.ones(BATCH, HORIZON)
    weights = torch.ones(1, HORIZON, TRANSITION_DIM)
    for t in CONDITION_TIMES:
        weights[:, t, ACTION_DIM:] = 0
    state = {'steps': 0}

    def step():
        t = torch.randint(0, DIFFUSION_STEPS, (BATCH,))
        noise = torch.randn_like(x0)
        noisy = schedule.sqrt_abar[t][:, None, None] * x0 + schedule.sqrt_one_minus_abar[t][:, None, None] * noise
        squared = (net(condition(noisy, x0), t) - x0).square()
        loss = (squared * (weights * mask[:, :, None])).mean()
        first_action_loss = squared[:, 0, :ACTION_DIM].mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        state['steps'] += 1
        if state['steps'] % EMA_EVERY == 0:
            ema.load_state_dict(net.state_dict())
        return loss.item(), first_action_loss.item()
    return step


def diffuser_sample_plan():
    net = TemporalUnet()
    schedule = CosineSchedule(DIFFUSION_STEPS)
    known = torch.zeros(1, HORIZON, TRANSITION_DIM)
    known[0, 0, ACTION_DIM:] = torch.tensor([-0.5, -0.5, 0, 0])
    known[0, HORIZON - 1, ACTION_DIM:] = torch.tensor([0.5, 0.5, 0, 0])

    @torch.no_grad()
    def step():
        x = condition(torch.randn(1, HORIZON, TRANSITION_DIM), known)
        for i in reversed(range(DIFFUSION_STEPS)):
            t = torch.full((1,), i, dtype=torch.long)
            x0 = net(x, t).clamp(-1, 1)
            x = schedule.coef1[i] * x0 + schedule.coef2[i] * x
            if i > 0:
                x = x + torch.exp(0.5 * schedule.log_variance[i]) * torch.randn_like(x)
            x = condition(x, known)
        return x.numpy()
    return step


WORKLOADS = {
    'unet-train-step': unet_train_step,
    'diffuser-sample-plan': diffuser_sample_plan,
}

# (warm-up, timed) calls at least, as the Bellman harness's: one call of these takes seconds there
MIN_ITERATIONS = {
    'unet-train-step': (2, 3),
    'diffuser-sample-plan': (1, 3),
}


if __name__ == '__main__':
    main(WORKLOADS, __doc__.split('\n')[0], MIN_ITERATIONS)
