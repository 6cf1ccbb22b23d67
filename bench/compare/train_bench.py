# Training speed of the same UNet in PyTorch's Python API (Debian's python3-torch), mirroring
# `ddpm train`'s loop step by step (native/torch/trainer.cpp); prints images/s, warm-up excluded.
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from torch_unet import UNet


def read_idx(path):
    """IDX file (optionally .gz) -> numpy array of its shape."""
    for name in (path, path + ".gz"):
        if os.path.exists(name):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(name, "rb") as f:
                data = f.read()
            ndim = data[3]
            shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    raise FileNotFoundError(f"{path}[.gz] not found")


def linear_schedule(T, beta_start, beta_end):
    """sqrt(abar_t) and sqrt(1 - abar_t), t = 0..T (Ho et al. 2020, Eq. 4), in double."""
    beta = np.concatenate([[0.0], np.linspace(beta_start, beta_end, T, dtype=np.float64)])
    alpha_bar = np.cumprod(1.0 - beta)
    return (torch.tensor(np.sqrt(alpha_bar), dtype=torch.float32),
            torch.tensor(np.sqrt(1.0 - alpha_bar), dtype=torch.float32))


def main():
    ap = argparse.ArgumentParser(description="PyTorch (Python) training images/s")
    ap.add_argument("--data", required=True, help="folder of IDX files (train-*)")
    ap.add_argument("--model", required=True, help="JSON object of the model configuration")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=25, help="steps, the first 5 are warm-up")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    # data in [-1, 1], kept as one tensor (as ddpm train does)
    try:
        pixels = read_idx(os.path.join(args.data, "train-images-idx3-ubyte"))
        labels = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte"))
        m = json.loads(args.model)
    except (OSError, ValueError) as e:
        print(f"train_bench: {e}", file=sys.stderr)
        return 2
    images = torch.from_numpy(pixels.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)
    labels = torch.from_numpy(labels.astype(np.int64))
    n_images, T, K = images.shape[0], 1000, m["num_classes"]
    sqrt_ab, sqrt_1m_ab = linear_schedule(T, 1e-4, 0.02)

    model, ema = UNet(m), UNet(m)
    ema.load_state_dict(model.state_dict())
    ema.eval().requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    model.train()
    order, cursor, timing_skip, t0 = None, n_images, 5, time.perf_counter()
    for step in range(args.steps):
        if cursor + args.batch > n_images:
            order, cursor = torch.randperm(n_images), 0
        idx = order[cursor:cursor + args.batch]
        cursor += args.batch
        x0 = images.index_select(0, idx)

        # forward process at random t (Ho et al. 2020, Eq. 4); labels dropped with p = 0.1
        t = torch.randint(1, T + 1, (args.batch,))
        eps = torch.randn_like(x0)
        xt = sqrt_ab[t].view(-1, 1, 1, 1) * x0 + sqrt_1m_ab[t].view(-1, 1, 1, 1) * eps
        y = labels.index_select(0, idx)
        y = torch.where(torch.rand(args.batch) < 0.1, torch.full_like(y, K), y)

        # loss = ||eps - eps_theta(x_t, t)||^2 (Ho et al. 2020, Eq. 14), one AdamW step
        loss = F.mse_loss(model(xt, t, y), eps)
        for group in opt.param_groups:
            group["lr"] = args.lr * min(1.0, (step + 1) / args.warmup)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

        # EMA of the weights, decay min(0.999, (1 + n) / (10 + n))
        with torch.no_grad():
            d = min(0.999, (1 + step) / (10 + step))
            for p_ema, p in zip(ema.parameters(), model.parameters()):
                p_ema.mul_(d).add_(p.detach(), alpha=1 - d)
        if step + 1 == timing_skip:
            loss.item()
            t0 = time.perf_counter()
    loss.item()
    timed = args.steps - timing_skip
    ips = timed * args.batch / (time.perf_counter() - t0)
    print(json.dumps({"images_per_second": ips, "steps": timed, "batch": args.batch,
                      "threads": args.threads, "loss": loss.item()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
