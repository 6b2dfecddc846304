"""PyTorch eager peer of KShotNas's SmallCnn training step (the benchmark's reference).

Same network, optimizer, batch and data shape as benchmarks/KShotNas.Benchmarks (cnn mode); it times
`steps` SGD steps after `warmup` steps and prints `images_per_sec=<value>`.
"""
import argparse
import time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, required=True)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--steps", type=int, default=200)
p.add_argument("--warmup", type=int, default=20)
p.add_argument("--width", type=int, default=16)
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)
w = a.width
model = nn.Sequential(
    nn.Conv2d(1, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(w, 2 * w, 3, padding=1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(2 * w * 49, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
x = torch.randn(a.batch, 1, 28, 28)
y = torch.randint(0, 10, (a.batch,))


def step():
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(a.warmup):
    step()
start = time.perf_counter()
for _ in range(a.steps):
    step()
elapsed = time.perf_counter() - start
print(f"images_per_sec={a.steps * a.batch / elapsed:.1f}")
