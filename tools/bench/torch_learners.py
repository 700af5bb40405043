#!/usr/bin/env python3
"""PyTorch reference timings of Bellman's learner-update workloads (tools/bench/run.js, learner-*).

Each workload is one update of a plain PyTorch version of the Bellman learner of the same name
(packages/q-learning/src), with the same networks, losses, optimizers, target updates and number
of forward / backward passes, on fixed random batches made before timing (uniform actions, 5%
terminals), batch 256, hidden [256, 256], the learners' default hyper-parameters:

  learner-dqn           dqn.ts: Double DQN, Huber, Adam 1e-3, hard target copy every 500 updates (obs 4, 2 actions)
  learner-cql-discrete  cql-discrete.ts: the same TD loss + 1.0 * (logsumexp_a Q - Q(s, a)), Adam 3e-4
  learner-sac           sac.ts: twin critics, tanh-Gaussian actor, automatic alpha, Polyak 5e-3 (obs 17, act 6 in [-1, 1])
  learner-cql           cql.ts: SAC + CQL(H) with 10 proposals per state from each of U(box), pi(.|s), pi(.|s'); alpha 5;
                        one actor pass per state set, one critic pass over data + proposals
  learner-iql           iql.ts: expectile 0.7 value loss, V-based TD loss, advantage-weighted Gaussian actor (beta 3)

Run with a python3 that has PyTorch (Debian's: apt-get install -y python3-torch libopenblas0-pthread):
  python3 tools/bench/torch_learners.py [--threads 1] [--seconds 3] [--workload NAME ...]
Prints one JSON line per workload: {"workload", "msPerUpdate", "updatesPerSec", "impl": "torch", "threads"}.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 256
HIDDEN = [256, 256]
GAMMA = 0.99
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0
HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)
LOG_TWO = math.log(2.0)
# HalfCheetah / Walker2d sizes for the continuous learners; CartPole's for the discrete ones.
BOX_OBS, BOX_ACT = 17, 6
CARTPOLE_OBS, CARTPOLE_ACTIONS = 4, 2
# Box [-1, 1]: squash(u) = CENTER + HALF_RANGE * tanh(u).
BOX_LOW, BOX_HIGH = -1.0, 1.0
HALF_RANGE = torch.full((BOX_ACT,), (BOX_HIGH - BOX_LOW) / 2)
CENTER = torch.full((BOX_ACT,), (BOX_HIGH + BOX_LOW) / 2)
LOG_HALF_RANGE_SUM = float(torch.log(HALF_RANGE).sum())
# Fixed batches cycled through, as in the Bellman harness.
NUM_BATCHES = 4


class Mlp(nn.Module):
    """Linear layers with ReLU between them; `features` is the last hidden layer (phi)."""

    def __init__(self, sizes):
        super().__init__()
        self.body = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-2], sizes[1:-1]))
        self.head = nn.Linear(sizes[-2], sizes[-1])

    def features(self, x):
        for layer in self.body:
            x = F.relu(layer(x))
        return x

    def forward(self, x):
        return self.head(self.features(x))


def copy_(target, source):
    target.load_state_dict(source.state_dict())


@torch.no_grad()
def polyak_(target, source, tau):
    for t, s in zip(target.parameters(), source.parameters()):
        t.lerp_(s, tau)


def set_requires_grad(module, flag):
    for p in module.parameters():
        p.requires_grad_(flag)


def random_batches(obs_dim, discrete_actions=None, act_dim=None):
    batches = []
    for _ in range(NUM_BATCHES):
        if discrete_actions is not None:
            actions = torch.randint(0, discrete_actions, (BATCH,))
        else:
            actions = torch.rand(BATCH, act_dim) * (BOX_HIGH - BOX_LOW) + BOX_LOW
        batches.append({
            's': torch.randn(BATCH, obs_dim),
            'a': actions,
            'r': torch.randn(BATCH),
            's2': torch.randn(BATCH, obs_dim),
            'd': (torch.rand(BATCH) < 0.05).float(),
        })
    return batches


def huber(x):
    """Elementwise Huber with delta 1 (dqn.ts tdElementLoss)."""
    return F.smooth_l1_loss(x, torch.zeros_like(x), reduction='none')


# ---------------------------------------------------------------- DQN and discrete CQL (dqn.ts)

def discrete_q(cql_alpha):
    """Double DQN (cql_alpha None) or discrete CQL: the default config of dqn.ts / cql-discrete.ts."""
    sizes = [CARTPOLE_OBS, *HIDDEN, CARTPOLE_ACTIONS]
    q, target = Mlp(sizes), Mlp(sizes)
    copy_(target, q)
    opt = torch.optim.Adam(q.parameters(), lr=1e-3 if cql_alpha is None else 3e-4)
    batches = random_batches(CARTPOLE_OBS, discrete_actions=CARTPOLE_ACTIONS)
    state = {'updates': 0}

    def step():
        b = batches[state['updates'] % NUM_BATCHES]
        with torch.no_grad():
            best = q(b['s2']).argmax(dim=1, keepdim=True)
            y = b['r'] + GAMMA * (1 - b['d']) * target(b['s2']).gather(1, best).squeeze(1)
        qs = q(b['s'])
        q_taken = qs.gather(1, b['a'][:, None]).squeeze(1)
        loss = huber(q_taken - y).mean()
        if cql_alpha is not None:
            loss = loss + cql_alpha * (torch.logsumexp(qs, dim=1) - q_taken).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        state['updates'] += 1
        if state['updates'] % 500 == 0:
            copy_(target, q)
        return loss.item()
    return step


# ---------------------------------------------------------------- SAC family (sac.ts, cql.ts)

def tanh_gaussian(actor, s):
    """mu(s) and the clamped log sigma(s), [B, A] each."""
    out = actor(s)
    return out[:, :BOX_ACT], out[:, BOX_ACT:].clamp(LOG_STD_MIN, LOG_STD_MAX)


def tanh_gaussian_sample(actor, s, noise):
    """a = squash(mu + sigma * noise) and log pi(a|s) in the action space (gaussian-policy.ts)."""
    return tanh_gaussian_sample_from(*tanh_gaussian(actor, s), noise)


def tanh_gaussian_sample_from(mean, log_std, noise):
    """`tanh_gaussian_sample` from a distribution already computed (shared by many samples per state)."""
    u = mean + log_std.exp() * noise
    z = (u - mean) / log_std.exp()
    gaussian = -(0.5 * z.square() + log_std + HALF_LOG_TWO_PI).sum(dim=1)
    log_det = (2 * (LOG_TWO - u - F.softplus(-2 * u))).sum(dim=1) + LOG_HALF_RANGE_SUM
    return CENTER + HALF_RANGE * torch.tanh(u), gaussian - log_det


class Critics:
    """Two Q(s, a) Mlps on [s, a] with Polyak target copies (twin-critic.ts)."""

    def __init__(self, lr):
        sizes = [BOX_OBS + BOX_ACT, *HIDDEN, 1]
        self.members = [Mlp(sizes), Mlp(sizes)]
        self.targets = [Mlp(sizes), Mlp(sizes)]
        for t, m in zip(self.targets, self.members):
            copy_(t, m)
        self.opt = torch.optim.Adam([p for m in self.members for p in m.parameters()], lr=lr)

    def values(self, s, a):
        return self.values_of_input(torch.cat([s, a], dim=1))

    def values_of_input(self, x):
        return [m(x).squeeze(1) for m in self.members]

    def min(self, s, a):
        q1, q2 = self.values(s, a)
        return torch.minimum(q1, q2)

    def target_min(self, s, a):
        x = torch.cat([s, a], dim=1)
        q1, q2 = (t(x).squeeze(1) for t in self.targets)
        return torch.minimum(q1, q2)

    def update_targets(self, tau):
        for t, m in zip(self.targets, self.members):
            polyak_(t, m, tau)

    def set_requires_grad(self, flag):
        for m in self.members:
            set_requires_grad(m, flag)


class SoftActorCritic:
    """Actor, twin critics and log alpha with SAC's actor and temperature steps (sac.ts)."""

    def __init__(self, actor_lr, critic_lr, alpha_lr=3e-4):
        self.actor = Mlp([BOX_OBS, *HIDDEN, 2 * BOX_ACT])
        self.critics = Critics(critic_lr)
        self.log_alpha = torch.zeros((), requires_grad=True)  # initialAlpha 1
        self.target_entropy = -float(BOX_ACT)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=actor_lr)
        self.alpha_opt = torch.optim.Adam([self.log_alpha], lr=alpha_lr)

    @property
    def alpha(self):
        return self.log_alpha.detach().exp().item()

    def target(self, b, alpha):
        """y = r + gamma (1 - d) (min_j Qtarget_j(s', a') - alpha log pi(a'|s')), a' ~ pi(.|s')."""
        with torch.no_grad():
            a2, logp2 = tanh_gaussian_sample(self.actor, b['s2'], torch.randn(BATCH, BOX_ACT))
            return b['r'] + GAMMA * (1 - b['d']) * (self.critics.target_min(b['s2'], a2) - alpha * logp2)

    def actor_and_alpha(self, s, alpha):
        # Only the actor's gradients are needed: the critics are held fixed (no weight gradients).
        self.critics.set_requires_grad(False)
        a, logp = tanh_gaussian_sample(self.actor, s, torch.randn(BATCH, BOX_ACT))
        actor_loss = (alpha * logp - self.critics.min(s, a)).mean()
        self.actor_opt.zero_grad()
        actor_loss.backward()
        self.actor_opt.step()
        self.critics.set_requires_grad(True)
        mean_logp = logp.detach().mean().item()
        alpha_loss = -self.log_alpha * (mean_logp + self.target_entropy)
        self.alpha_opt.zero_grad()
        alpha_loss.backward()
        self.alpha_opt.step()
        return actor_loss.item()


def sac():
    agent = SoftActorCritic(actor_lr=3e-4, critic_lr=3e-4)
    critics = agent.critics
    batches = random_batches(BOX_OBS, act_dim=BOX_ACT)
    state = {'updates': 0}

    def step():
        b = batches[state['updates'] % NUM_BATCHES]
        alpha = agent.alpha
        y = agent.target(b, alpha)
        q1, q2 = critics.values(b['s'], b['a'])
        critic_loss = F.mse_loss(q1, y) + F.mse_loss(q2, y)
        critics.opt.zero_grad()
        critic_loss.backward()
        critics.opt.step()
        agent.actor_and_alpha(b['s'], alpha)
        critics.update_targets(5e-3)
        state['updates'] += 1
        return critic_loss.item()
    return step


def cql():
    """cql.ts defaults: actor lr 1e-4, critic lr 3e-4, cqlAlpha 5, cqlSamples 10, fixed alpha', entropy in the backup.

    As cql.ts: pi(.|s) and pi(.|s') come from one actor pass each on the B states (the backup's
    sample and the N proposals at s' share the pass at s'), and each critic scores the B data rows
    and the 3N proposals of every state in one forward and one backward pass.
    """
    n, cql_alpha = 10, 5.0
    agent = SoftActorCritic(actor_lr=1e-4, critic_lr=3e-4)
    critics = agent.critics
    uniform_log_density = -BOX_ACT * math.log(BOX_HIGH - BOX_LOW)
    batches = random_batches(BOX_OBS, act_dim=BOX_ACT)
    state = {'updates': 0}

    def step():
        b = batches[state['updates'] % NUM_BATCHES]
        s, a = b['s'], b['a']
        alpha = agent.alpha
        with torch.no_grad():
            # Target: y = r + gamma (1 - d) (min_j Qtarget_j(s', a') - alpha log pi(a'|s')).
            at_next = tanh_gaussian(agent.actor, b['s2'])
            a2, logp2 = tanh_gaussian_sample_from(*at_next, torch.randn(BATCH, BOX_ACT))
            y = b['r'] + GAMMA * (1 - b['d']) * (critics.target_min(b['s2'], a2) - alpha * logp2)
            # Proposals, N per state: U(box), pi(.|s), pi(.|s'); rows of state i are [U_i, pi_i, pi'_i].
            uniform = torch.rand(BATCH * n, BOX_ACT) * (BOX_HIGH - BOX_LOW) + BOX_LOW
            at_s = tanh_gaussian(agent.actor, s)
            a_pi, logp_pi = tanh_gaussian_sample_from(*(t.repeat_interleave(n, dim=0) for t in at_s), torch.randn(BATCH * n, BOX_ACT))
            a_pi2, logp_pi2 = tanh_gaussian_sample_from(*(t.repeat_interleave(n, dim=0) for t in at_next), torch.randn(BATCH * n, BOX_ACT))
            proposals = torch.cat([uniform.view(BATCH, -1), a_pi.view(BATCH, -1), a_pi2.view(BATCH, -1)], dim=1).view(BATCH * 3 * n, BOX_ACT)
            critic_input = torch.cat([torch.cat([s, a], dim=1), torch.cat([s.repeat_interleave(3 * n, dim=0), proposals], dim=1)], dim=0)
            log_densities = torch.cat([torch.full((BATCH, n), uniform_log_density), logp_pi.view(BATCH, n), logp_pi2.view(BATCH, n)], dim=1)
        critic_loss = 0.0
        for q_all in critics.values_of_input(critic_input):
            q = q_all[:BATCH]
            gap = torch.logsumexp(q_all[BATCH:].view(BATCH, 3 * n) - log_densities, dim=1).mean() - q.mean()
            critic_loss = critic_loss + F.mse_loss(q, y) + cql_alpha * gap
        critics.opt.zero_grad()
        critic_loss.backward()
        critics.opt.step()
        agent.actor_and_alpha(s, alpha)
        critics.update_targets(5e-3)
        state['updates'] += 1
        return critic_loss.item()
    return step


# ---------------------------------------------------------------- IQL (iql.ts)

def iql():
    expectile, beta, max_weight, tau = 0.7, 3.0, 100.0, 5e-3
    actor = Mlp([BOX_OBS, *HIDDEN, BOX_ACT])
    log_std = torch.zeros(BOX_ACT, requires_grad=True)
    critics = Critics(3e-4)
    value = Mlp([BOX_OBS, *HIDDEN, 1])
    actor_opt = torch.optim.Adam([*actor.parameters(), log_std], lr=3e-4)
    value_opt = torch.optim.Adam(value.parameters(), lr=3e-4)
    batches = random_batches(BOX_OBS, act_dim=BOX_ACT)
    state = {'updates': 0}

    def step():
        b = batches[state['updates'] % NUM_BATCHES]
        s, a = b['s'], b['a']
        with torch.no_grad():
            q_target = critics.target_min(s, a)
            advantage = q_target - value(s).squeeze(1)
            y = b['r'] + GAMMA * (1 - b['d']) * value(b['s2']).squeeze(1)
        # Value: expectile regression of V(s) on min_j Qtarget_j(s, a).
        u = q_target - value(s).squeeze(1)
        value_loss = ((expectile - (u < 0).float()).abs() * u.square()).mean()
        value_opt.zero_grad()
        value_loss.backward()
        value_opt.step()
        # Critic: TD to r + gamma (1 - d) V(s') with V before this update's value step.
        q1, q2 = critics.values(s, a)
        critic_loss = F.mse_loss(q1, y) + F.mse_loss(q2, y)
        critics.opt.zero_grad()
        critic_loss.backward()
        critics.opt.step()
        # Actor: advantage-weighted log-likelihood of the data's actions under N(squash(mu(s)), exp(logStd)^2).
        weights = torch.clamp(torch.exp(beta * advantage), max=max_weight)
        mean = CENTER + HALF_RANGE * torch.tanh(actor(s))
        clamped = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
        logp = -(0.5 * ((a - mean) / clamped.exp()).square() + clamped + HALF_LOG_TWO_PI).sum(dim=1)
        actor_loss = -(weights * logp).mean()
        actor_opt.zero_grad()
        actor_loss.backward()
        actor_opt.step()
        critics.update_targets(tau)
        state['updates'] += 1
        return value_loss.item() + critic_loss.item() + actor_loss.item()
    return step


WORKLOADS = {
    'learner-dqn': lambda: discrete_q(None),
    'learner-cql-discrete': lambda: discrete_q(1.0),
    'learner-sac': sac,
    'learner-cql': cql,
    'learner-iql': iql,
}


def main(workloads=WORKLOADS, description=__doc__.split('\n')[0], min_iterations=None):
    """Time each workload named on the command line (default: all of `workloads`), one JSON line each.

    min_iterations: {name: (warm-up, timed)}, the fewest calls for workloads whose one call takes
    seconds (3 and 3 otherwise), as the Bellman harness's minWarmup / minTimed.
    """
    min_iterations = min_iterations or {}
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--workload', nargs='*', default=list(workloads))
    p.add_argument('--seconds', type=float, default=3.0, help='timed seconds per workload')
    args = p.parse_args()
    unknown = [w for w in args.workload if w not in workloads]
    if unknown:
        p.error(f'unknown workload(s) {", ".join(unknown)} (known: {", ".join(workloads)})')
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for name in args.workload:
        step = workloads[name]()
        min_warm, min_timed = min_iterations.get(name, (3, 3))
        # Warm-up as in the Bellman harness: at least min_warm updates (3), up to a quarter of the timed seconds (1 s at most).
        warm_end = time.perf_counter() + min(1.0, args.seconds / 4)
        warm = 0
        while warm < min_warm or (time.perf_counter() < warm_end and warm < 50):
            step()
            warm += 1
        n, t0 = 0, time.perf_counter()
        while n < min_timed or time.perf_counter() - t0 < args.seconds:
            step()
            n += 1
        ms = (time.perf_counter() - t0) / n * 1000
        print(json.dumps({'workload': name, 'msPerUpdate': round(ms, 3), 'updatesPerSec': round(1000 / ms, 4 if ms > 1000 else 1), 'impl': 'torch', 'threads': args.threads}), flush=True)


if __name__ == '__main__':
    main()
