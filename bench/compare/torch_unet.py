# The UNet of docs/model.md in PyTorch's Python API (Debian's python3-torch), named as in the
# weights file, for the side-by-side benchmarks: training speed and the ONNX export.
import base64
import json
import math
import os

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


def group_norm(groups, channels):
    return nn.GroupNorm(groups, channels, eps=1e-5)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb, groups, dropout):
        super().__init__()
        self.norm1 = group_norm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(temb, cout)
        self.norm2 = group_norm(groups, cout)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(emb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return (self.skip(x) if self.skip is not None else x) + h


class AttnBlock(nn.Module):
    def __init__(self, channels, groups):
        super().__init__()
        self.norm = group_norm(groups, channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        n, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(n, 3, c, h * w).unbind(1)
        # w[i, j] = softmax_j(q_i . k_j / sqrt(C)) (Vaswani et al. 2017, Eq. 1)
        weights = torch.softmax(torch.bmm(q.transpose(1, 2), k) / math.sqrt(c), -1)
        out = torch.bmm(v, weights.transpose(1, 2))
        return x + self.proj(out.reshape(n, c, h, w))


class Level(nn.Module):
    """One level's blocks: res.j, attn.j, and a down- or up-sampling conv."""

    def __init__(self, res, attn, resample_name, resample):
        super().__init__()
        self.res = nn.ModuleList(res)
        if attn:
            self.attn = nn.ModuleList(attn)
        else:
            self.attn = None
        self.resample_name = resample_name if resample is not None else None
        if resample is not None:
            self.add_module(resample_name, nn.Module())
            getattr(self, resample_name).conv = resample

    def resample(self, x):
        return getattr(self, self.resample_name).conv(x)


class UNet(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m
        ch, g, p = m["base_channels"], m["groups"], m.get("dropout", 0.1)
        temb = 4 * ch
        height = m["image_size"][0]
        attn_at = set(m["attention_resolutions"])
        self.time_embed = nn.Module()
        self.time_embed.linear1 = nn.Linear(ch, temb)
        self.time_embed.linear2 = nn.Linear(temb, temb)
        self.num_classes = m["num_classes"]
        if self.num_classes > 0:
            self.class_embed = nn.Embedding(self.num_classes + 1, temb)
        self.conv_in = nn.Conv2d(m["in_channels"], ch, 3, padding=1)

        # down path; skips follows the channels pushed on the skip stack
        skips, cur, levels = [ch], ch, len(m["channel_mult"])
        self.down = nn.ModuleList()
        for i, mult in enumerate(m["channel_mult"]):
            out, res, attn = ch * mult, [], []
            for _ in range(m["num_res_blocks"]):
                res.append(ResBlock(cur, out, temb, g, p))
                cur = out
                if height in attn_at:
                    attn.append(AttnBlock(cur, g))
                skips.append(cur)
            down = None
            if i < levels - 1:
                down = nn.Conv2d(cur, cur, 3, stride=2, padding=1)
                skips.append(cur)
                height //= 2
            self.down.append(Level(res, attn, "downsample", down))

        self.mid = nn.Module()
        self.mid.res1 = ResBlock(cur, cur, temb, g, p)
        self.mid.attn = AttnBlock(cur, g)
        self.mid.res2 = ResBlock(cur, cur, temb, g, p)

        # up path, built from the last level down, registered as up.0 .. up.(levels-1)
        ups = [None] * levels
        for i in reversed(range(levels)):
            out, res, attn = ch * m["channel_mult"][i], [], []
            for _ in range(m["num_res_blocks"] + 1):
                res.append(ResBlock(cur + skips.pop(), out, temb, g, p))
                cur = out
                if height in attn_at:
                    attn.append(AttnBlock(cur, g))
            up = None
            if i > 0:
                up = nn.Conv2d(cur, cur, 3, padding=1)
                height *= 2
            ups[i] = Level(res, attn, "upsample", up)
        self.up = nn.ModuleList(ups)
        self.norm_out = group_norm(g, cur)
        self.conv_out = nn.Conv2d(cur, m["in_channels"], 3, padding=1)

    def time_embedding(self, t):
        # e = [sin(t f_i), cos(t f_i)], f_i = exp(-ln(10000) i / half) (Vaswani et al. 2017)
        half = self.m["base_channels"] // 2
        freqs = torch.exp(torch.arange(half, dtype=torch.float32) * (-math.log(10000.0) / half))
        args = t.to(torch.float32)[:, None] * freqs[None, :]
        return torch.cat([torch.sin(args), torch.cos(args)], 1)

    def forward(self, x, t, labels):
        emb = self.time_embed.linear2(F.silu(self.time_embed.linear1(self.time_embedding(t))))
        if self.num_classes > 0:
            emb = emb + self.class_embed(labels)
        h = self.conv_in(x)
        stack = [h]
        for level in self.down:
            for j, res in enumerate(level.res):
                h = res(h, emb)
                if level.attn is not None:
                    h = level.attn[j](h)
                stack.append(h)
            if level.resample_name:
                h = level.resample(h)
                stack.append(h)
        h = self.mid.res2(self.mid.attn(self.mid.res1(h, emb)), emb)
        for level in reversed(self.up):
            for j, res in enumerate(level.res):
                h = res(torch.cat([h, stack.pop()], 1), emb)
                if level.attn is not None:
                    h = level.attn[j](h)
            if level.resample_name:
                h = level.resample(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


def load_weights(path):
    """Returns (UNet with the file's tensors, the document without tensor data)."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != "ddpm-weights" or doc.get("version") != 1:
        raise ValueError(f"{path}: not a ddpm-weights version 1 file")
    net = UNet(doc["model"])
    state = {}
    for t in doc["tensors"]:
        dtype = {"f32": "<f4", "f16": "<f2"}[t["dtype"]]
        data = np.frombuffer(base64.b64decode(t["data"]), dtype=dtype).astype(np.float32)
        state[t["name"]] = torch.from_numpy(data.reshape(t["shape"]).copy())
    missing = set(net.state_dict()) ^ set(state)
    if missing:
        raise ValueError(f"{path}: tensors differ from the model: {sorted(missing)[:5]}")
    net.load_state_dict(state)
    del doc["tensors"]
    return net.eval(), doc


DEFAULT_MODEL = {"type": "unet", "in_channels": 1, "image_size": [28, 28], "base_channels": 32,
                 "channel_mult": [1, 2, 2], "num_res_blocks": 1, "attention_resolutions": [7],
                 "groups": 8, "dropout": 0.1, "num_classes": 10}  # base 32: ~7x the default model


def save_weights(net, path, training):
    """Writes net as a ddpm-weights f32 file (linear schedule 1e-4..0.02, T = 1000)."""
    tensors = [{"name": name, "shape": list(p.shape), "dtype": "f32",
                "data": base64.b64encode(p.detach().numpy().astype("<f4").tobytes()).decode()}
               for name, p in net.state_dict().items()]
    doc = {"format": "ddpm-weights", "version": 1, "model": net.m,
           "schedule": {"kind": "linear", "timesteps": 1000, "beta_start": 0.0001,
                        "beta_end": 0.02},
           "training": training, "tensors": tensors}
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(doc, f)
    os.replace(path + ".tmp", path)
