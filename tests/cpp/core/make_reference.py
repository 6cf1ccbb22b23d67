#!/usr/bin/env python3
# Reference values for the core tests, computed independently of the C++ code:
# schedules in 40-digit decimal arithmetic, diffusers' timestep lists with numpy's arithmetic
# emulated in plain Python (numpy is not installed here), Philox4x32-10 and Box-Muller.
# Run: python3 tests/cpp/core/make_reference.py
import math
import struct
from decimal import Decimal as D, getcontext

getcontext().prec = 40
PI = D("3.141592653589793238462643383279502884197")


def dcos(x):  # Taylor series of cos in 40-digit decimal
    x = x % (2 * PI)
    term, total, k = D(1), D(1), 0
    while abs(term) > D("1e-45"):
        k += 2
        term *= -x * x / (k * (k - 1))
        total += term
    return total


def schedule(kind, T=1000, b0=D("0.0001"), b1=D("0.02"), s=D("0.008")):
    if kind == "linear":
        beta = [D(0)] + [b0 + (b1 - b0) * (t - 1) / (T - 1) for t in range(1, T + 1)]
    else:
        f = lambda t: dcos((D(t) / T + s) / (1 + s) * PI / 2) ** 2
        beta = [D(0)] + [min(1 - f(t) / f(t - 1), D("0.999")) for t in range(1, T + 1)]
    ab = [D(1)]
    for t in range(1, T + 1):
        ab.append(ab[-1] * (1 - beta[t]))
    return beta, ab


def tables(kind):
    beta, ab = schedule(kind)
    print(f"== {kind}")
    for t in (1, 2, 10, 100, 250, 500, 750, 999, 1000):
        bt = beta[t] * (1 - ab[t - 1]) / (1 - ab[t])
        c1 = beta[t] * ab[t - 1].sqrt() / (1 - ab[t])
        c2 = (1 - beta[t]).sqrt() * (1 - ab[t - 1]) / (1 - ab[t])
        lsnr = (ab[t] / (1 - ab[t])).ln()
        print(f"t={t} beta={beta[t]:.17e} alpha_bar={ab[t]:.17e} beta_tilde={bt:.17e} "
              f"coef1={c1:.17e} coef2={c2:.17e} log_snr={lsnr:.17e}")
    bt2 = beta[2] * (1 - ab[1]) / (1 - ab[2])
    print(f"log beta_tilde[2]={bt2.ln():.17e}")


# numpy emulation: arange fills start + i * ((start + step) - start), length
# ceil((stop - start) / step); linspace gives i * ((stop - start) / (num - 1)) + start with
# the endpoint set exactly; round is half to even (Python's round on floats is too).
def np_arange(start, stop, step):
    n = math.ceil((stop - start) / step)
    delta = (start + step) - start
    return [start if i == 0 else (start + step if i == 1 else start + i * delta)
            for i in range(n)]


def np_linspace(start, stop, num):
    if num == 1:
        return [float(start)]
    step = (stop - start) / (num - 1)
    y = [i * step + start for i in range(num)]
    y[-1] = float(stop)
    return y


def timesteps(T, N, spacing):
    if spacing == "leading":
        ts = [i * (T // N) for i in range(N)][::-1]
    elif spacing == "trailing":
        ts = [int(round(v)) - 1 for v in np_arange(float(T), 0.0, -T / N)]
    else:
        ts = [int(round(v)) for v in np_linspace(0, T - 1, N)][::-1]
    return [t + 1 for t in ts]  # diffusers' 0-based t -> our 1-based t


def check_lists(T):
    bad = [N for N in range(1, T + 1) for sp in ("leading", "trailing", "linspace")
           if len(timesteps(T, N, sp)) != N or len(set(timesteps(T, N, sp))) != N
           or min(timesteps(T, N, sp)) < 1 or max(timesteps(T, N, sp)) > T]
    # numpy's arange gives one element too many for these steps (its last, t = 0 here,
    # diffusers' -1); make_timesteps keeps the first N.
    print(f"T={T}: steps giving a list of the wrong length or out of range: {bad}")


MASK = 0xFFFFFFFF


def philox(ctr, key):
    c, k = list(ctr), list(key)
    for r in range(10):
        if r:
            k = [(k[0] + 0x9E3779B9) & MASK, (k[1] + 0xBB67AE85) & MASK]
        p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k[0], p1 & MASK, (p0 >> 32) ^ c[3] ^ k[1], p0 & MASK]
    return c


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def normals(seed, stream, count):
    out, block = [], 0
    while len(out) < count:
        u = philox([block & MASK, block >> 32, stream & MASK, stream >> 32],
                   [seed & MASK, seed >> 32])
        for j in (0, 2):
            v0, v1 = (u[j] + 0.5) / 2**32, (u[j + 1] + 0.5) / 2**32
            r, th = math.sqrt(-2 * math.log(v0)), 2 * math.pi * v1
            out += [f32(r * math.cos(th)), f32(r * math.sin(th))]
        block += 1
    return out[:count]


# The samplers on an analytic model, in double precision, written from the papers' formulas in
# a different form than sampler.cpp (posterior mean for DDPM): data x_0 ~ N(mu, sd^2) per
# dimension, whose exact eps-prediction is sigma_t (x_t - a_t mu) / (a_t^2 sd^2 + sigma_t^2).
def run_sampler(kind, spacing, steps, seed, dim, eta=0.0, variance="beta", mu=0.3, sd=0.5):
    T = 1000
    beta = [0.0] + [1e-4 + (0.02 - 1e-4) * (t - 1) / (T - 1) for t in range(1, T + 1)]
    ab = [1.0]
    for t in range(1, T + 1):
        ab.append(ab[-1] * (1 - beta[t]))
    ts = timesteps(T, steps, spacing)[:steps] + [0]
    z = normals(seed, 0, dim * (steps + 1))
    x, z = z[:dim], z[dim:]
    lam = lambda t: 0.5 * math.log(ab[t] / (1 - ab[t]))
    prev = None
    for i in range(steps):
        t, u = ts[i], ts[i + 1]
        a, sg = math.sqrt(ab[t]), math.sqrt(1 - ab[t])
        eps = [sg * (v - a * mu) / (a * a * sd * sd + sg * sg) for v in x]
        x0 = [(v - sg * e) / a for v, e in zip(x, eps)]
        b = 1 - ab[t] / ab[u]  # the step's beta from the alpha_bar ratio
        if kind == "ddpm":  # posterior q(x_u | x_t, x_0) (Ho et al. 2020, Eq. 6-7)
            c1 = math.sqrt(ab[u]) * b / (1 - ab[t])
            c2 = math.sqrt(1 - b) * (1 - ab[u]) / (1 - ab[t])
            var = b if variance == "beta" else b * (1 - ab[u]) / (1 - ab[t])
            noise = z[:dim] if u > 0 else [0.0] * dim
            if u > 0:
                z = z[dim:]
            x = [c1 * p + c2 * v + math.sqrt(var) * n for p, v, n in zip(x0, x, noise)]
        elif kind == "ddim":  # Song et al. 2021, Eq. 12 and 16
            sig = eta * math.sqrt((1 - ab[u]) / (1 - ab[t]) * b)
            noise = z[:dim] if sig > 0 else [0.0] * dim
            if sig > 0:
                z = z[dim:]
            d = math.sqrt(max(0.0, 1 - ab[u] - sig * sig))
            x = [math.sqrt(ab[u]) * p + d * e + sig * n for p, e, n in zip(x0, eps, noise)]
        elif u == 0:  # DPM-Solver++ first-order step into lambda = +inf: x0 itself
            x = x0
        else:  # Lu et al. 2022, Algorithm 2
            h = lam(u) - lam(t)
            if prev is None:
                D = x0
            else:
                r = (lam(t) - lam(prev[1])) / h
                D = [(1 + 1 / (2 * r)) * p - 1 / (2 * r) * q for p, q in zip(x0, prev[0])]
            x = [math.sqrt((1 - ab[u]) / (1 - ab[t])) * v - math.sqrt(ab[u]) * math.expm1(-h) * d
                 for v, d in zip(x, D)]
        prev = (x0, t)
    return x


def sampler_parity():
    cases = [("ddpm", "leading", 10, 0.0, "beta"), ("ddpm", "trailing", 10, 0.0, "beta_tilde"),
             ("ddim", "linspace", 10, 0.0, "beta"), ("ddim", "trailing", 10, 0.5, "beta"),
             ("ddim", "leading", 50, 1.0, "beta"), ("dpm++2m", "linspace", 10, 0.0, "beta"),
             ("dpm++2m", "trailing", 20, 0.0, "beta")]
    for kind, sp, n, eta, var in cases:
        x = run_sampler(kind, sp, n, seed=5, dim=4, eta=eta, variance=var)
        print(f'{{"{kind}", "{sp}", {n}, {eta}, "{var}", {{' +
              ", ".join(f"{v:.12g}" for v in x) + "}},")


if __name__ == "__main__":
    sampler_parity()
    tables("linear")
    tables("cosine")
    for sp in ("leading", "trailing", "linspace"):
        for N in (10, 50):
            print(f"{sp} N={N}: {timesteps(1000, N, sp)}")
    for sp in ("trailing", "linspace"):
        for N, T in ((16, 1000), (3, 1000), (7, 10), (4, 10), (8, 20)):
            print(f"{sp} T={T} N={N}: {timesteps(T, N, sp)}")
    check_lists(1000)
    check_lists(999)
    for ctr, key in (([0] * 4, [0] * 2), ([MASK] * 4, [MASK] * 2),
                     ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344],
                      [0xA4093822, 0x299F31D0])):
        print("philox", " ".join(f"{v:08x}" for v in philox(ctr, key)))
    print("seed 42 stream 0:", " ".join(f"{v:.10f}" for v in normals(42, 0, 8)))
    print("seed 42 stream 0 (repr):", [repr(v) for v in normals(42, 0, 8)])
    s, st = 2**40 + 5, 2**33 + 7
    print(f"seed {s} stream {st}: block 0 u32",
          " ".join(f"{v:08x}" for v in philox([0, 0, st & MASK, st >> 32], [s & MASK, s >> 32])))
    print(f"seed {s} stream {st}: normals 0..5 and 1000..1002", [repr(v) for v in normals(s, st, 6)],
          [repr(v) for v in normals(s, st, 1003)[1000:]])
    # random class labels (shared/labels.hpp): u32 j of stream "labels" mod K
    labels_stream = 0x6C6162656C73
    for seed in (1, 5):
        u, block = [], 0
        while len(u) < 12:
            u += philox([block, 0, labels_stream & MASK, labels_stream >> 32], [seed, 0])
            block += 1
        print(f"random labels, seed {seed}, K = 10:", [v % 10 for v in u[:12]])
