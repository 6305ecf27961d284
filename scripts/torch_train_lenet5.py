"""Trains models/lenet5.mdl's network in PyTorch and saves it as safetensors.

The interop check of scripts/torch-interop-check.sh: weights trained by
PyTorch, evaluated by the model cnnc compiled. Reads MNIST's IDX files
(scripts/fetch-data.sh), trains with the model's own recipe (Adam 1e-3,
batch 64 unless --batch says otherwise, pixels in [0, 1]) for --epochs, prints PyTorch's test accuracy
and writes the state_dict in the safetensors format (written here: the
format is an 8-byte header length, a JSON header and the raw bytes).

Run with Debian's /usr/bin/python3 (python3-torch, python3-numpy).
"""

import argparse
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
from torch_models import LeNet5  # noqa: E402


def read_idx(path):
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        with gzip.open(path + ".gz", "rb") as f:
            data = f.read()
    else:
        with open(path, "rb") as f:
            data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        pixels = np.frombuffer(data, np.uint8, offset=16).reshape(count, 1, rows, cols)
        return torch.from_numpy(pixels.astype(np.float32) / 255.0)
    return torch.from_numpy(np.frombuffer(data, np.uint8, offset=8).astype(np.int64))


def save_safetensors(path, state):
    header, blobs, offset = {}, [], 0
    for name, tensor in state.items():
        data = tensor.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/mnist")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    parser.add_argument("--logits", help="write the test logits to this .npy")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    train_x = read_idx(os.path.join(args.data, "train-images-idx3-ubyte"))
    train_y = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte"))
    test_x = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte"))
    test_y = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte"))

    model = LeNet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_x))
        for start in range(0, len(order), args.batch):
            batch = order[start:start + args.batch]
            optimizer.zero_grad()
            F.cross_entropy(model(train_x[batch]), train_y[batch]).backward()
            optimizer.step()
        if args.epochs > 1:
            model.eval()
            with torch.inference_mode():
                correct = (model(test_x).argmax(1) == test_y).sum().item()
            print(f"pytorch: epoch {epoch + 1}/{args.epochs} test accuracy "
                  f"{100 * correct / len(test_y):.2f}%")
    model.eval()
    with torch.inference_mode():
        logits = model(test_x)
    accuracy = (logits.argmax(1) == test_y).float().mean().item()
    print(f"pytorch: test accuracy {100 * accuracy:.2f}% "
          f"({int(round(accuracy * len(test_y)))} / {len(test_y)})")
    save_safetensors(args.out, model.state_dict())
    if args.logits:
        np.save(args.logits, logits.numpy())


if __name__ == "__main__":
    main()
