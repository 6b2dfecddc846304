#!/usr/bin/env python3
"""How different the K copies of a K-shot checkpoint are (issue 20, docs/study/ranking-budget.md).

For every weight slot of the supernet (the `[K, ...]` tensors that are not momentum or simplex-net state) it measures
  - the mean cosine similarity between pairs of copies (0: unrelated, 1: the same weights up to scale),
  - the norm of the uniform mix (the warm-up's merged weights) over the mean copy norm (1/sqrt(K) for unrelated copies
    of equal norm, 1 for equal copies),
and prints the size-weighted means with the total weight norm. A one-shot checkpoint (K = 1) gives its norm only.
Pure Python (the machines here have no numpy): reads the safetensors header and the float32 data itself.

    scripts/kshot-weights.py CHECKPOINT...
"""
import json
import math
import struct
import sys
from array import array


def slots(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    k = int(meta.get("k", "1"))
    for name, t in header.items():
        if t["dtype"] != "F32" or name.startswith(("momentum/", "simplex", "torch_rng")) or "/" in name and name.split("/")[0] in ("simplex_momentum",):
            continue
        start, end = t["data_offsets"]
        values = array("f")
        values.frombytes(data[start:end])
        yield name, k, t["shape"], values


def stats(path):
    cos_sum = ratio_sum = weight = norm2 = 0.0
    k_seen = 1
    for name, k, shape, v in slots(path):
        norm2 += sum(x * x for x in v)
        if k == 1 or not shape or shape[0] != k:
            continue
        k_seen = k
        size = len(v) // k
        copies = [v[i * size:(i + 1) * size] for i in range(k)]
        norms = [math.sqrt(sum(x * x for x in c)) for c in copies]
        if min(norms) == 0:
            continue
        pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
        cos = sum(sum(a * b for a, b in zip(copies[i], copies[j])) / (norms[i] * norms[j]) for i, j in pairs) / len(pairs)
        mix = [sum(c[e] for c in copies) / k for e in range(size)]
        ratio = math.sqrt(sum(x * x for x in mix)) / (sum(norms) / k)
        cos_sum += cos * size
        ratio_sum += ratio * size
        weight += size
    if k_seen == 1:
        return f"K = 1, weight norm {math.sqrt(norm2):.2f}"
    return (f"K = {k_seen}, copies' mean pairwise cosine {cos_sum / weight:.3f}, uniform mix norm / copy norm {ratio_sum / weight:.3f} "
            f"(unrelated copies {1 / math.sqrt(k_seen):.3f}), weight norm of all copies {math.sqrt(norm2):.2f}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for p in sys.argv[1:]:
        print(f"{p}: {stats(p)}")
