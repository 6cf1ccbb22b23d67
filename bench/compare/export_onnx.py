# Writes our weights file's UNet as an ONNX graph (torch.onnx.export of torch_unet.UNet), for
# the onnxruntime-web comparison. Inputs: x [N, C, H, W] float32, t [N] int64, labels [N] int64.
import argparse
import os
import sys
import warnings

import torch

from torch_unet import load_weights


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("weights", help="ddpm-weights JSON file")
    ap.add_argument("--out", required=True, help="ONNX file to write")
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()
    try:
        net, doc = load_weights(args.weights)
    except (OSError, ValueError, KeyError) as e:
        print(f"export_onnx: {e}", file=sys.stderr)
        return 2

    m = doc["model"]
    n = 2
    x = torch.zeros(n, m["in_channels"], *m["image_size"])
    t = torch.full((n,), 500, dtype=torch.int64)
    y = torch.full((n,), m["num_classes"], dtype=torch.int64)
    tmp = args.out + ".tmp"
    warnings.filterwarnings("ignore", category=UserWarning)  # torch 1.13's shape inference notes
    with torch.no_grad():
        torch.onnx.export(net, (x, t, y), tmp, opset_version=args.opset,
                          input_names=["x", "t", "labels"], output_names=["eps"],
                          dynamic_axes={"x": {0: "n"}, "t": {0: "n"}, "labels": {0: "n"},
                                        "eps": {0: "n"}})
    os.replace(tmp, args.out)
    print(f"wrote {args.out} (opset {args.opset})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
