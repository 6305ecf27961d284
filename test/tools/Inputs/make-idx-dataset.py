#!/usr/bin/env python3
"""Writes a tiny MNIST-format data set for the cnnc-train tests.

Four uncompressed IDX files in OUT: train-images-idx3-ubyte (and labels) and
t10k-images-idx3-ubyte (and labels). Image i of class c = i % classes is dark
with a bright horizontal band at rows [c * size / classes, ...) plus a little
deterministic noise, so a linear model separates the classes within a few
steps.
"""

import argparse
import os
import random
import struct


def images_and_labels(count, size, classes, seed, max_label):
    rng = random.Random(seed)
    pixels = bytearray()
    labels = bytearray()
    band = max(1, size // classes)
    for i in range(count):
        c = i % classes
        for row in range(size):
            for _ in range(size):
                lit = c * band <= row < (c + 1) * band
                pixels.append(200 + rng.randrange(56) if lit else rng.randrange(40))
        labels.append(min(c, max_label) if max_label >= 0 else c)
    return bytes(pixels), bytes(labels)


def write(path, magic, dims, payload):
    with open(path, "wb") as f:
        f.write(struct.pack(">I", magic))
        for d in dims:
            f.write(struct.pack(">I", d))
        f.write(payload)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--train", type=int, default=48)
    p.add_argument("--test", type=int, default=12)
    p.add_argument("--size", type=int, default=6)
    p.add_argument("--classes", type=int, default=3)
    p.add_argument("--bad-label", type=int, default=-1,
                   help="give training image 4 this label")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for split, count, seed in (("train", a.train, 1), ("t10k", a.test, 2)):
        pixels, labels = images_and_labels(count, a.size, a.classes, seed, -1)
        if split == "train" and a.bad_label >= 0:
            labels = labels[:4] + bytes([a.bad_label]) + labels[5:]
        write(os.path.join(a.out, split + "-images-idx3-ubyte"), 0x803,
              (count, a.size, a.size), pixels)
        write(os.path.join(a.out, split + "-labels-idx1-ubyte"), 0x801,
              (count,), labels)


if __name__ == "__main__":
    main()
