"""PyTorch eager peer of KShotNas's NB201 supernet training step (SPOS).

Same skeleton (non-affine batch norm, per-cell weights for every operation), optimizer (SGD lr 0.025,
Nesterov momentum 0.9, weight decay 5e-4, set-to-none zero_grad, clipping at norm 5) and the exact path
sequence the .NET side used (read from --paths: one line of 6 operation codes per step). Prints
`images_per_sec=<value>` over the timed steps.
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, required=True)
p.add_argument("--C", type=int, default=16)
p.add_argument("--N", type=int, default=5)
p.add_argument("--in-channels", type=int, default=3)
p.add_argument("--size", type=int, default=32)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--warmup", type=int, default=10)
p.add_argument("--paths", required=True)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
paths = [[int(v) for v in line.split(",")] for line in open(a.paths) if line.strip()]
EDGES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]


def bn(x):
    return F.batch_norm(x, None, None, None, None, True)


class Cell(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1 = nn.ModuleList(nn.Conv2d(c, c, 1, bias=False) for _ in EDGES)
        self.c3 = nn.ModuleList(nn.Conv2d(c, c, 3, padding=1, bias=False) for _ in EDGES)

    def edge(self, x, op, e):
        if op == 0:
            return None
        if op == 1:
            return x
        if op == 2:
            return bn(self.c1[e](F.relu(x)))
        if op == 3:
            return bn(self.c3[e](F.relu(x)))
        return F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)

    def forward(self, x, arch):
        nodes = [x]
        for to in (1, 2, 3):
            total = None
            for frm in range(to):
                e = to * (to - 1) // 2 + frm
                y = self.edge(nodes[frm], arch[e], e)
                if y is not None:
                    total = y if total is None else total + y
            nodes.append(total if total is not None else torch.zeros_like(x))
        return nodes[3]


class Reduce(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a = nn.Conv2d(c, 2 * c, 3, 2, 1, bias=False)
        self.b = nn.Conv2d(2 * c, 2 * c, 3, 1, 1, bias=False)
        self.s = nn.Conv2d(c, 2 * c, 1, bias=False)

    def forward(self, x):
        y = bn(self.b(F.relu(bn(self.a(F.relu(x))))))
        return y + self.s(F.avg_pool2d(x, 2, 2))


class Supernet(nn.Module):
    def __init__(self, c, n, cin, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(cin, c, 3, padding=1, bias=False)
        stages = []
        for s in range(3):
            if s > 0:
                stages.append(Reduce(c))
                c *= 2
            stages.extend(Cell(c) for _ in range(n))
        self.stages = nn.ModuleList(stages)
        self.fc = nn.Linear(c, classes)

    def forward(self, x, arch):
        x = bn(self.stem(x))
        for m in self.stages:
            x = m(x) if isinstance(m, Reduce) else m(x, arch)
        x = F.adaptive_avg_pool2d(F.relu(bn(x)), 1).flatten(1)
        return self.fc(x)


net = Supernet(a.C, a.N, a.in_channels)
opt = torch.optim.SGD(net.parameters(), lr=0.025, momentum=0.9, nesterov=True, weight_decay=5e-4)
x = torch.randn(a.batch, a.in_channels, a.size, a.size)
y = torch.randint(0, 10, (a.batch,))


def step(arch):
    loss = F.cross_entropy(net(x, arch), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(net.parameters(), 5)
    opt.step()
    return loss.item()


for arch in paths[: a.warmup]:
    step(arch)
start = time.perf_counter()
for arch in paths[a.warmup:]:
    step(arch)
elapsed = time.perf_counter() - start
print(f"images_per_sec={(len(paths) - a.warmup) * a.batch / elapsed:.1f}")
