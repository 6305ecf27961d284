#!/usr/bin/env python3
"""Rewrites a safetensors file for the cnnc-train tests.

  edit-safetensors.py IN OUT [--drop NAME]... [--drop-prefix P]...
                             [--drop-meta KEY]... [--meta KEY=VALUE]...

Drops tensors (by name or name prefix) and metadata entries, or sets
metadata entries; the tensors kept are copied byte for byte.
"""

import argparse
import json
import struct


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--drop", action="append", default=[])
    p.add_argument("--drop-prefix", action="append", default=[])
    p.add_argument("--drop-meta", action="append", default=[])
    p.add_argument("--meta", action="append", default=[])
    a = p.parse_args()

    data = open(a.input, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    buffer = data[8 + n:]
    meta = header.pop("__metadata__", {})
    for key in a.drop_meta:
        meta.pop(key, None)
    for item in a.meta:
        key, value = item.split("=", 1)
        meta[key] = value

    out_header = {"__metadata__": meta} if meta else {}
    out_buffer = bytearray()
    for name, entry in header.items():
        if name in a.drop or any(name.startswith(q) for q in a.drop_prefix):
            continue
        begin, end = entry["data_offsets"]
        entry["data_offsets"] = [len(out_buffer), len(out_buffer) + end - begin]
        out_buffer += buffer[begin:end]
        out_header[name] = entry
    text = json.dumps(out_header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(a.output, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + bytes(out_buffer))


if __name__ == "__main__":
    main()
