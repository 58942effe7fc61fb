#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Makes the demo shard from Debian's dataset-fashion-mnist package: the first PER_CLASS
# pictures of each class from the training set and TEST_PER_CLASS from the test set, in their
# original order, written as gzip-compressed IDX files with a fixed timestamp so that running
# this again gives identical files.

import gzip
import os
import struct
import sys

SOURCE = "/usr/share/datasets/fashion-mnist"
PER_CLASS = 200
TEST_PER_CLASS = 50


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndims = data[3]
    dims = struct.unpack(">" + "I" * ndims, data[4:4 + 4 * ndims])
    return dims, data[4 + 4 * ndims:]


def write_idx(path, dims, body):
    header = bytes([0, 0, 8, len(dims)]) + struct.pack(">" + "I" * len(dims), *dims)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(header + body)


def shard(split, out_prefix, per_class, out_dir):
    (n, h, w), images = read_idx(os.path.join(SOURCE, split + "-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(SOURCE, split + "-labels-idx1-ubyte.gz"))
    size = h * w
    taken = [0] * 10
    out_images = bytearray()
    out_labels = bytearray()
    for i in range(n):
        label = labels[i]
        if taken[label] < per_class:
            taken[label] += 1
            out_images += images[i * size:(i + 1) * size]
            out_labels.append(label)
    count = len(out_labels)
    write_idx(os.path.join(out_dir, out_prefix + "-images-idx3-ubyte.gz"), (count, h, w),
              bytes(out_images))
    write_idx(os.path.join(out_dir, out_prefix + "-labels-idx1-ubyte.gz"), (count,),
              bytes(out_labels))


out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
shard("train", "demo-train", PER_CLASS, out_dir)
shard("t10k", "demo-test", TEST_PER_CLASS, out_dir)
