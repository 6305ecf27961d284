#!/usr/bin/env python3
"""Writes N pseudo-random float32 images (values in [0, 1)) as a .npy file.

    make-npy-images.py OUT.npy N C H W
"""
import random
import struct
import sys

out = sys.argv[1]
shape = tuple(int(d) for d in sys.argv[2:6])
count = shape[0] * shape[1] * shape[2] * shape[3]
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d, %d, %d), }" % shape
# The magic, version and length (10 bytes) and the header end on a multiple
# of 64, as numpy writes them.
header += " " * (63 - (10 + len(header)) % 64) + "\n"
rng = random.Random(1)
with open(out, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<%df" % count, *(rng.random() for _ in range(count))))
