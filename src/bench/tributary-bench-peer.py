#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The peer of tributary-bench: the same SGEMMs (NumPy and PyTorch on OpenBLAS) and the same
# training runs (PyTorch eager, CPU with two threads, and CUDA when there is a GPU), printed
# as one JSON object.

import argparse
import gzip
import json
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn

FASHION = '/usr/share/datasets/fashion-mnist'


def load_fashion(n):
    with gzip.open(f'{FASHION}/train-images-idx3-ubyte.gz', 'rb') as f:
        magic, count, rows, cols = struct.unpack('>IIII', f.read(16))
        images = np.frombuffer(f.read(n * rows * cols), dtype=np.uint8).reshape(n, 1, rows, cols)
    with gzip.open(f'{FASHION}/train-labels-idx1-ubyte.gz', 'rb') as f:
        f.read(8)
        labels = np.frombuffer(f.read(n), dtype=np.uint8)
    return images.astype(np.float32) / 255.0, labels.astype(np.int64)


def model_2nn():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 200),
                         nn.ReLU(), nn.Linear(200, 10))


def model_fedavg_cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(3136, 512), nn.ReLU(), nn.Linear(512, 10))


def model_niid_cnn():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120), nn.ReLU(),
                         nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


MODELS = {'2nn': model_2nn, 'fedavg-cnn': model_fedavg_cnn, 'niid-cnn': model_niid_cnn}


def best_of(rounds, fn):
    # The machine is shared: the best of a few rounds is the figure least disturbed by others.
    return max(fn() for _ in range(rounds))


def train_rate(name, batch, seconds, device, x, y):
    torch.manual_seed(1)
    model = MODELS[name]().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    xs = torch.from_numpy(x).to(device)
    ys = torch.from_numpy(y).to(device)
    n = xs.shape[0]
    perm = torch.randperm(n, device=device)

    def step(i):
        idx = perm[(i * batch) % (n - batch):(i * batch) % (n - batch) + batch]
        opt.zero_grad()
        loss = loss_fn(model(xs[idx]), ys[idx])
        loss.backward()
        opt.step()

    for i in range(5):
        step(i)
    if device == 'cuda':
        torch.cuda.synchronize()
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        step(steps)
        steps += 1
        if device == 'cuda' and steps % 50 == 0:
            torch.cuda.synchronize()
    if device == 'cuda':
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - start)


def gemm_rate(n, seconds, fn):
    fn()
    reps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or reps < 2:
        fn()
        reps += 1
    return 2.0 * n ** 3 * reps / (time.perf_counter() - start) / 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--seconds', type=float, default=2.0)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--model', help='only this training run, e.g. 2nn/B=10')
    parser.add_argument('--no-gemm', action='store_true')
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    out = {'torch': torch.__version__, 'numpy': np.__version__, 'threads': args.threads,
           'cuda': torch.cuda.is_available(), 'gemm': {}, 'train': {}}
    sizes = [] if args.no_gemm else [256, 512] if args.quick else [256, 512, 1024, 2048]
    for n in sizes:
        a = np.random.rand(n, n).astype(np.float32)
        b = np.random.rand(n, n).astype(np.float32)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        out['gemm'][str(n)] = {
            'numpy': best_of(args.rounds, lambda: gemm_rate(n, args.seconds / 2, lambda: a @ b)),
            'torch-cpu': best_of(args.rounds,
                                 lambda: gemm_rate(n, args.seconds / 2, lambda: torch.mm(ta, tb))),
        }
        if torch.cuda.is_available():
            ca, cb = ta.cuda(), tb.cuda()

            def cuda_mm():
                torch.mm(ca, cb)
                torch.cuda.synchronize()
            out['gemm'][str(n)]['torch-cuda'] = gemm_rate(n, args.seconds / 2, cuda_mm)

    x, y = load_fashion(6000)
    for name, batch in [('2nn', 10), ('2nn', 64), ('fedavg-cnn', 50), ('niid-cnn', 64)]:
        key = f'{name}/B={batch}'
        if args.model and args.model != key:
            continue
        out['train'][key] = {'torch-cpu': best_of(
            args.rounds, lambda: train_rate(name, batch, args.seconds, 'cpu', x, y))}
        if torch.cuda.is_available():
            out['train'][key]['torch-cuda'] = best_of(
                args.rounds, lambda: train_rate(name, batch, args.seconds, 'cuda', x, y))
    json.dump(out, sys.stdout)
    print()


if __name__ == '__main__':
    main()
