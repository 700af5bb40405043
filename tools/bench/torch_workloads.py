#!/usr/bin/env python3
"""PyTorch reference timings of the standard training workloads (tools/bench/run.js, docs/performance.md).

Each workload is one gradient update on fixed random inputs made before timing (uniform integer
actions, 5% terminals), batch 256, on the CPU:

  critic-mlp-256   MLP 23 -> 256 -> 256 -> 1 (ReLU), MSE to fixed random targets, Adam 3e-4
  critic-mlp-1024  the same with 1024-wide hidden layers
  dqn-256          Q: MLP 4 -> 256 -> 256 -> 2 with a separate target network,
                   Huber(Q(s, a), r + 0.99 (1 - d) max_a' Qtarget(s', a')), Adam 1e-3
  dqn-dr3-256      dqn-256 + 0.03 * mean_i phi(s_i) . phi(s'_i), phi the online network's
                   256-wide last hidden layer (s and s' in one forward pass, as Bellman's DQN does)

Run with a python3 that has PyTorch (Debian's: apt-get install -y python3-torch libopenblas0-pthread):
  python3 tools/bench/torch_workloads.py [--threads 1] [--seconds 3] [--workload NAME ...]
Prints one JSON line per workload: {"workload", "msPerUpdate", "updatesPerSec", "impl": "torch", "threads"}.
"""
import torch
import torch.nn.functional as F

from torch_learners import BATCH, GAMMA, Mlp, copy_, huber, main

DR3_WEIGHT = 0.03


def critic_mlp(hidden):
    net = Mlp([23, hidden, hidden, 1])
    opt = torch.optim.Adam(net.parameters(), lr=3e-4)
    x, y = torch.randn(BATCH, 23), torch.randn(BATCH, 1)

    def step():
        loss = F.mse_loss(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def dqn(dr3_weight):
    q, target = Mlp([4, 256, 256, 2]), Mlp([4, 256, 256, 2])
    copy_(target, q)
    opt = torch.optim.Adam(q.parameters(), lr=1e-3)
    s, s2 = torch.randn(BATCH, 4), torch.randn(BATCH, 4)
    a = torch.randint(0, 2, (BATCH,))
    r = torch.randn(BATCH)
    d = (torch.rand(BATCH) < 0.05).float()

    def step():
        with torch.no_grad():
            y = r + GAMMA * (1 - d) * target(s2).max(dim=1).values
        if dr3_weight == 0:
            loss = huber(q(s).gather(1, a[:, None]).squeeze(1) - y).mean()
        else:
            phi_both = q.features(torch.cat([s, s2]))
            phi, phi_next = phi_both[:BATCH], phi_both[BATCH:]
            q_taken = q.head(phi).gather(1, a[:, None]).squeeze(1)
            loss = huber(q_taken - y).mean() + dr3_weight * (phi * phi_next).sum(dim=1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


WORKLOADS = {
    'critic-mlp-256': lambda: critic_mlp(256),
    'critic-mlp-1024': lambda: critic_mlp(1024),
    'dqn-256': lambda: dqn(0),
    'dqn-dr3-256': lambda: dqn(DR3_WEIGHT),
}


if __name__ == '__main__':
    main(WORKLOADS, __doc__.split('\n')[0])
