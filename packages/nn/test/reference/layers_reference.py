"""Reference outputs of Bellman's nn layers, computed with PyTorch in float64.

Run from the repository root:  python3 packages/nn/test/reference/layers_reference.py
It prints one line per case, `name: v0, v1, ...` (9 significant digits), which
packages/nn/test/layers.test.ts pins. Inputs are the deterministic waves
wave(n, seed)[i] = sin(1.7 i + seed), the same formula as the test's `wave`.
Bellman's layers take [batch, length, channels] and kernels [k, in, out]; they are permuted here
into PyTorch's layouts ([batch, channels, length]; Conv1d weight [out, in, k], ConvTranspose1d
weight [in, out, k]) and the outputs permuted back before printing.
"""
import math

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def wave(n, seed, scale=1.0, offset=0.0):
    return torch.tensor([offset + scale * math.sin(1.7 * i + seed) for i in range(n)])


def emit(name, t):
    print(f"{name}: " + ", ".join(f"{v:.9g}" for v in t.flatten().tolist()))


def conv_case(name, batch, length, cin, cout, k, stride, padding, dilation):
    x = wave(batch * length * cin, 0.1).reshape(batch, length, cin)
    w = wave(k * cin * cout, 0.2, 0.5).reshape(k, cin, cout)
    b = wave(cout, 0.3, 0.1)
    y = F.conv1d(x.permute(0, 2, 1), w.permute(2, 1, 0), b, stride=stride, padding=padding, dilation=dilation)
    emit(name, y.permute(0, 2, 1))


def conv_transpose_case(name, batch, length, cin, cout, k, stride, padding, dilation, output_padding):
    x = wave(batch * length * cin, 0.1).reshape(batch, length, cin)
    w = wave(k * cin * cout, 0.2, 0.5).reshape(k, cin, cout)
    b = wave(cout, 0.3, 0.1)
    y = F.conv_transpose1d(
        x.permute(0, 2, 1), w.permute(1, 2, 0), b,
        stride=stride, padding=padding, output_padding=output_padding, dilation=dilation,
    )
    emit(name, y.permute(0, 2, 1))


conv_case("conv1d_k3_pad1", 2, 7, 3, 2, 3, 1, 1, 1)
conv_case("conv1d_k3_stride2_pad2_dil2", 2, 9, 3, 2, 3, 2, 2, 2)
conv_transpose_case("conv_transpose1d_k4_stride2_pad1", 2, 5, 3, 2, 4, 2, 1, 1, 0)
conv_transpose_case("conv_transpose1d_k3_stride3_pad2_dil2_out1", 1, 4, 2, 3, 3, 3, 2, 2, 1)

# GroupNorm: 3 groups of 2 channels, [batch 2, length 5, channels 6], inputs with a non-zero mean.
x = wave(2 * 5 * 6, 0.4, 2.0, 0.7).reshape(2, 5, 6)
gn = torch.nn.GroupNorm(3, 6, eps=1e-5)
with torch.no_grad():
    gn.weight.copy_(wave(6, 0.5, 0.5, 1.0))
    gn.bias.copy_(wave(6, 0.6, 0.3))
emit("group_norm_3x2", gn(x.permute(0, 2, 1)).permute(0, 2, 1).detach())

# LayerNorm over the last axis of [3, 5].
x = wave(15, 0.7, 1.5, -0.4).reshape(3, 5)
ln = torch.nn.LayerNorm(5, eps=1e-5)
with torch.no_grad():
    ln.weight.copy_(wave(5, 0.8, 0.5, 1.0))
    ln.bias.copy_(wave(5, 0.9, 0.3))
emit("layer_norm_5", ln(x).detach())

a = torch.linspace(-5, 5, 21)
emit("mish", torch.nn.Mish()(a))
emit("silu", torch.nn.SiLU()(a))
emit("gelu", torch.nn.GELU()(a))  # approximate='none': x Phi(x) with the exact erf

# Diffuser's SinusoidalPosEmb: half sines then half cosines, frequencies exp(-ln(10000) i / (half - 1)).
t = torch.tensor([0.0, 1.0, 7.5, 100.0])
half = 4
freqs = torch.exp(torch.arange(half) * -(math.log(10000) / (half - 1)))
angles = t[:, None] * freqs[None, :]
emit("sinusoidal_8", torch.cat([angles.sin(), angles.cos()], dim=-1))
