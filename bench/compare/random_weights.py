# Writes a weights file of the default UNet (docs/model.md) with PyTorch's default random
# initialisation: a stand-in for speed measurements and parity checks of the config default.
import argparse
import sys

import torch

from torch_unet import DEFAULT_MODEL, UNet, save_weights


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True, help="weights file to write")
    ap.add_argument("--base-channels", type=int, default=DEFAULT_MODEL["base_channels"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.base_channels < 8 or args.base_channels % 8:
        print("random_weights: --base-channels must be a positive multiple of 8", file=sys.stderr)
        return 2
    torch.manual_seed(args.seed)
    net = UNet(dict(DEFAULT_MODEL, base_channels=args.base_channels))
    save_weights(net, args.out, {"note": "random initialisation (bench/compare)",
                                 "seed": args.seed})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
