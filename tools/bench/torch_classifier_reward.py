#!/usr/bin/env python3
"""PyTorch reference timings of the classifier-reward workloads (tools/bench/run.js, reward-* and meta-nml-*).

Plain PyTorch (float32, CPU) versions of the definitions of @bellman/classifier-reward, with its
default sizes: a classifier 2 -> 2048 -> 2048 -> 2 (ReLU, two logits), a labelled set of
1024 positives near (3, 3) and 1024 negatives uniform in [-4, 4]^2, and

  loss L(B)       weighted soft-label cross-entropy sum_i w_i l_i / sum_i w_i,
                  l_i = -[(1 - y_i) log p0_i + y_i log p1_i], p = softmax(logits)
  weights         w(x) = exp(-2.3 ||x - q|| / 0.5) around the query q
  inner batch     63 labelled points + (q, y) at weight 1 / ceil(2048 / 64); one SGD step at 0.01
  reward          r(q) = p1 / (p0 + p1), p_y the probability of y at q after the step towards y

  reward-meta-nml-256             r at 256 queries at once without building adapted weights: the
                                  step changes layer l by a sum of outer products over the inner
                                  batch, so the adapted layer's output at the query is
                                  h W + b - lr sum_j c_j (h . a_j + 1) d_j (a_j: point j's input to
                                  the layer, d_j: its back-propagated error, c_j = w_j / sum w),
                                  a few batched matrix products per layer (the 2 x 256 adapted
                                  models as rows of one batch, as the Bellman form does; a vmap
                                  of per-query gradients would hold 512 copies of the 2048 x 2048
                                  layer, 8 GB)
  reward-meta-nml-256-one-by-one  the same 512 adaptations one at a time: autograd.grad of the inner
                                  loss, adapted = params - lr grad, logits at the query
  meta-nml-meta-step              one meta-Adam step (lr 1e-3) on the mean over 16 tasks (8 queries
                                  x 2 labels) of grad_theta L_out(theta - lr grad L_inner(theta)),
                                  second order (autograd.grad with create_graph=True); L_out on
                                  1023 positives + 1023 negatives weighted around q + (q, y) at 0.5
  reward-cnml-1                   exact CNML of one query: per label, 10 SGD steps at 0.01 from the
                                  classifier, each on 31 fresh labelled points (weighted around q)
                                  + (q, y) at 1 / ceil(2048 / 32), then p_y at q

Run with a python3 that has PyTorch (Debian's: apt-get install -y python3-torch libopenblas0-pthread):
  python3 tools/bench/torch_classifier_reward.py [--threads 1] [--seconds 3] [--workload NAME ...]
Prints one JSON line per workload: {"workload", "msPerUpdate", "updatesPerSec", "impl": "torch", "threads"}.
"""
import math

import torch

from torch_learners import main

HIDDEN = [2048, 2048]
OBS = 2
POINTS_PER_LABEL = 1024
LABELLED = 2 * POINTS_PER_LABEL
QUERIES = 256
INNER_BATCH = 64
INNER_LR = 0.01
DECAY, SCALE = 2.3, 0.5
OUTER_PER_LABEL = 1023
OUTER_QUERY_WEIGHT = 0.5
OUTER_LR = 1e-3
META_QUERIES = 8
CNML_STEPS, CNML_LR, CNML_BATCH = 10, 0.01, 32
CNML_QUERIES = 8


def classifier_params():
    """[(W [in, out], b [out])] per layer, initialised as nn.Linear is (uniform +-1 / sqrt(in))."""
    sizes = [OBS, *HIDDEN, 2]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / math.sqrt(fan_in)
        params.append(torch.empty(fan_in, fan_out).uniform_(-bound, bound).requires_grad_())
        params.append(torch.empty(fan_out).uniform_(-bound, bound).requires_grad_())
    return params


def logits(params, x):
    layers = len(params) // 2
    for i in range(layers):
        x = torch.addmm(params[2 * i + 1], x, params[2 * i])
        if i < layers - 1:
            x = torch.relu(x)
    return x


def weighted_cross_entropy(z, y, w):
    logp = torch.log_softmax(z, dim=1)
    per_point = -((1 - y) * logp[:, 0] + y * logp[:, 1])
    return (w * per_point).sum() / w.sum()


def distance_weights(q, points):
    """exp(-decay ||x - q|| / scale), [Q, N] for queries [Q, d] and points [N, d]."""
    return torch.exp(-DECAY / SCALE * (q[:, None, :] - points[None, :, :]).square().sum(2).sqrt())


def labelled_set():
    positives = torch.randn(POINTS_PER_LABEL, OBS) * 0.3 + 3
    negatives = torch.rand(POINTS_PER_LABEL, OBS) * 8 - 4
    return torch.cat([positives, negatives]), torch.cat([torch.ones(POINTS_PER_LABEL), torch.zeros(POINTS_PER_LABEL)])


def uniform_states(n):
    return torch.rand(n, OBS) * 8 - 4


def reward_setting(queries, batch_size):
    """A classifier, the labelled set, `queries` query states and the query's weight 1 / ceil(N / batch_size) in its batch."""
    return classifier_params(), *labelled_set(), uniform_states(queries), 1 / math.ceil(LABELLED / batch_size)


def inner_batch(points, labels, rows, q, label, query_weight):
    """The labelled rows weighted around q, then (q, label) at query_weight."""
    x = points[rows]
    return (torch.cat([x, q]), torch.cat([labels[rows], torch.tensor([float(label)])]),
            torch.cat([distance_weights(q, x)[0], torch.tensor([query_weight])]))


# ---------------------------------------------------------------- meta-NML rewards

def trace(params, x):
    """Each layer's input and pre-activation."""
    inputs, pre = [], []
    layers = len(params) // 2
    for i in range(layers):
        inputs.append(x)
        z = torch.addmm(params[2 * i + 1], x, params[2 * i])
        pre.append(z)
        x = torch.relu(z) if i < layers - 1 else z
    return inputs, pre


def backpropagate(params, pre, out_errors):
    """d l / d z per layer for output errors out_errors [N, 2], back through the weights and the ReLUs."""
    out = [None] * len(pre)
    out[-1] = out_errors
    for i in range(len(pre) - 2, -1, -1):
        out[i] = (out[i + 1] @ params[2 * (i + 1)].t()) * (pre[i] > 0)
    return out


def cross_entropy_errors(pre, y):
    """softmax(z_L) - [1 - y, y]: the output error of the cross-entropy to soft labels y (P(label 1))."""
    return torch.softmax(pre[-1], dim=1) - torch.stack([1 - y, y], dim=1)


@torch.no_grad()
def batched_adapted_logits(params, queries, query_weights, data, data_labels, data_weights, labels):
    """For each label y of `labels`: logits at each query [B, 2] after one SGD step on that query's
    inner batch (data with data_weights[b] + the query labelled y). The query's own error for label y
    is (p1 - y) times the error of [-1, 1], so its forward and backward passes are shared by the labels."""
    data_inputs, data_pre = trace(params, data)
    data_errors = backpropagate(params, data_pre, cross_entropy_errors(data_pre, data_labels))
    query_inputs, query_pre = trace(params, queries)
    p1 = torch.softmax(query_pre[-1], dim=1)[:, 1]
    unit_errors = backpropagate(params, query_pre, torch.tensor([[-1.0, 1.0]], dtype=queries.dtype).expand(queries.shape[0], 2))
    total = data_weights.sum(1) + query_weights
    c_data = data_weights / total[:, None]
    c_query = query_weights / total
    layers = len(params) // 2
    out = []
    for label in labels:
        scale = c_query * (p1 - label)
        h = queries
        for i in range(layers):
            base = torch.addmm(params[2 * i + 1], h, params[2 * i])
            data_part = (c_data * (h @ data_inputs[i].t() + 1)) @ data_errors[i]
            query_part = (scale * ((h * query_inputs[i]).sum(1) + 1))[:, None] * unit_errors[i]
            z = base - INNER_LR * (data_part + query_part)
            h = torch.relu(z) if i < layers - 1 else z
        out.append(z)
    return out


def reward_meta_nml_256():
    params, points, labels, queries, query_weight = reward_setting(QUERIES, INNER_BATCH)

    def step():
        rows = torch.randperm(LABELLED)[:INNER_BATCH - 1]
        data, data_labels = points[rows], labels[rows]
        z0, z1 = batched_adapted_logits(params, queries, torch.full((QUERIES,), query_weight), data, data_labels,
                                        distance_weights(queries, data), [0.0, 1.0])
        p0, p1 = torch.softmax(z0, dim=1)[:, 0], torch.softmax(z1, dim=1)[:, 1]
        return (p1 / (p0 + p1)).sum().item()
    return step


def reward_meta_nml_256_one_by_one():
    params, points, labels, queries, query_weight = reward_setting(QUERIES, INNER_BATCH)
    rows = torch.randperm(LABELLED)[:INNER_BATCH - 1]

    def step():
        total = 0.0
        for b in range(QUERIES):
            q = queries[b:b + 1]
            for label in (0, 1):
                x, y, w = inner_batch(points, labels, rows, q, label, query_weight)
                grads = torch.autograd.grad(weighted_cross_entropy(logits(params, x), y, w), params)
                with torch.no_grad():
                    adapted = [p - INNER_LR * g for p, g in zip(params, grads)]
                    total += torch.softmax(logits(adapted, q), dim=1)[0, label].item()
        return total
    return step


# ---------------------------------------------------------------- meta-NML meta-step

def meta_nml_meta_step():
    params = classifier_params()
    points, labels = labelled_set()
    positive_rows, negative_rows = torch.arange(POINTS_PER_LABEL), torch.arange(POINTS_PER_LABEL, LABELLED)
    opt = torch.optim.Adam(params, lr=OUTER_LR)
    inner_query_weight = 1 / math.ceil(LABELLED / INNER_BATCH)

    def pick(rows, k):
        return rows[torch.randperm(len(rows))[:k]]

    def step():
        # 8 queries, half from the positives, each with both labels: 16 tasks in a random order
        query_rows = torch.cat([pick(negative_rows, META_QUERIES // 2), pick(positive_rows, META_QUERIES // 2)])
        tasks = [(int(r), label) for label in (0, 1) for r in query_rows]
        summed = [torch.zeros_like(p) for p in params]
        loss_sum = 0.0
        for t in torch.randperm(len(tasks)).tolist():
            row, label = tasks[t]
            q = points[row:row + 1]
            x, y, w = inner_batch(points, labels, torch.randperm(LABELLED)[:INNER_BATCH - 1], q, label, inner_query_weight)
            inner_grads = torch.autograd.grad(weighted_cross_entropy(logits(params, x), y, w), params, create_graph=True)
            adapted = [p - INNER_LR * g for p, g in zip(params, inner_grads)]
            outer_rows = torch.cat([pick(positive_rows, OUTER_PER_LABEL), pick(negative_rows, OUTER_PER_LABEL)])
            xo, yo, wo = inner_batch(points, labels, outer_rows, q, label, OUTER_QUERY_WEIGHT)
            outer = weighted_cross_entropy(logits(adapted, xo), yo, wo)
            for s, g in zip(summed, torch.autograd.grad(outer, params)):
                s.add_(g)
            loss_sum += outer.item()
        for p, s in zip(params, summed):
            p.grad = s / len(tasks)
        opt.step()
        return loss_sum / len(tasks)
    return step


# ---------------------------------------------------------------- exact CNML

def reward_cnml_1():
    params, points, labels, queries, query_weight = reward_setting(CNML_QUERIES, CNML_BATCH)
    state = {'calls': 0}

    def fitted_probability(q, label):
        fitted = [p.detach().clone().requires_grad_() for p in params]
        for _ in range(CNML_STEPS):
            x, y, w = inner_batch(points, labels, torch.randperm(LABELLED)[:CNML_BATCH - 1], q, label, query_weight)
            grads = torch.autograd.grad(weighted_cross_entropy(logits(fitted, x), y, w), fitted)
            with torch.no_grad():
                fitted = [(p - CNML_LR * g).requires_grad_() for p, g in zip(fitted, grads)]
        with torch.no_grad():
            return torch.softmax(logits(fitted, q), dim=1)[0, label].item()

    def step():
        q = queries[state['calls'] % CNML_QUERIES][None]
        state['calls'] += 1
        p0, p1 = fitted_probability(q, 0), fitted_probability(q, 1)
        return p1 / (p0 + p1)
    return step


WORKLOADS = {
    'reward-meta-nml-256': reward_meta_nml_256,
    'reward-meta-nml-256-one-by-one': reward_meta_nml_256_one_by_one,
    'meta-nml-meta-step': meta_nml_meta_step,
    'reward-cnml-1': reward_cnml_1,
}

# (warm-up, timed) calls at least: one call of these takes seconds
MIN_ITERATIONS = {
    'reward-meta-nml-256-one-by-one': (1, 2),
    'meta-nml-meta-step': (1, 2),
}


if __name__ == '__main__':
    main(WORKLOADS, __doc__.split('\n')[0], MIN_ITERATIONS)
