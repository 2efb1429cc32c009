"""Peer: PyTorch on the CPU, on the workloads of bench/README.md. Run by src/bench/peers.ts:

    /usr/bin/python3 bench/peers/torch_bench.py --ids conv3x3.forward,train.fer-resnet18-16 [--quick] [--warmup 3 --timed 10]

Prints one JSON line last (protocol in src/bench/peers.ts); times in ms per iteration.
The model is scripts/goldens/fer_resnet18.py (the spec's PyTorch definition). Layout NCHW, f32,
torch.set_num_threads(os.cpu_count()).
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "goldens"))
from fer_resnet18 import FerResNet18  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--ids", default="")
p.add_argument("--quick", action="store_true")
p.add_argument("--warmup", type=int)
p.add_argument("--timed", type=int)
a = p.parse_args()
ids = [i for i in a.ids.split(",") if i]
torch.set_num_threads(os.cpu_count() or 1)
torch.manual_seed(0)


def plan(slow=False):
    if a.timed is not None:
        return (a.warmup or 0, a.timed)
    if a.quick and slow:
        return (1, 3)
    return (3, 10)


rows, skipped = [], {}


def bench(rid, fn, slow=False, note=""):
    print(f"torch peer: {rid}", file=sys.stderr)
    warmup, timed = plan(slow)
    times = []
    with torch.no_grad() if getattr(fn, "no_grad", False) else torch.enable_grad():
        for i in range(warmup + timed):
            t0 = time.perf_counter()
            fn()
            ms = (time.perf_counter() - t0) * 1000
            if i >= warmup:
                times.append(ms)
    s = sorted(times)
    m = len(s) // 2
    median = s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2
    rows.append(dict(id=rid, median=median, min=s[0], max=s[-1], warmup=warmup, timed=timed, note=note))


def no_grad(fn):
    fn.no_grad = True
    return fn


# kernels (workloads of bench/README.md)
x = torch.randn(64, 64, 24, 24)
w = torch.randn(64, 64, 3, 3)
gy = torch.randn(64, 64, 24, 24)
kernels = {
    "conv3x3.forward": no_grad(lambda: F.conv2d(x, w, padding=1)),
    "conv3x3.backward-input": no_grad(lambda: torch.nn.grad.conv2d_input(x.shape, w, gy, padding=1)),
    "conv3x3.backward-weight": no_grad(lambda: torch.nn.grad.conv2d_weight(x, w.shape, gy, padding=1)),
    "addRelu": no_grad(lambda: torch.relu(x + gy)),
    "maxPool2d": no_grad(lambda: F.max_pool2d(x, 2, 2)),
    "globalAvgPool2d": no_grad(lambda: gap_x.mean((2, 3))),
    "matmul.1024": no_grad(lambda: mm_a @ mm_b),
}
gap_x = torch.randn(64, 512, 6, 6)
mm_a, mm_b = torch.randn(1024, 1024), torch.randn(1024, 1024)
for rid, fn in kernels.items():
    if rid in ids:
        bench(rid, fn)

if "batchnorm.train" in ids:
    bx = torch.randn(64, 64, 24, 24, requires_grad=True)
    bw, bb = torch.ones(64, requires_grad=True), torch.zeros(64, requires_grad=True)
    rm, rv = torch.zeros(64), torch.ones(64)

    def bn():
        bx.grad = bw.grad = bb.grad = None
        F.batch_norm(bx, rm, rv, bw, bb, training=True).backward(gy)
    bench("batchnorm.train", bn)

if "crossEntropy" in ids:
    logits = torch.randn(4096, 7, requires_grad=True)
    targets = torch.arange(4096) * 5 % 7

    def ce():
        logits.grad = None
        F.cross_entropy(logits, targets).backward()
    bench("crossEntropy", ce)

for width in (8, 16, 64):
    tid, iid = f"train.fer-resnet18-{width}", f"infer.fer-resnet18-{width}"
    if tid in ids:
        model = FerResNet18(width).train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        tx, ty = torch.randn(64, 1, 48, 48), torch.randint(0, 7, (64,))

        def step():
            opt.zero_grad()
            F.cross_entropy(model(tx), ty).backward()
            opt.step()
        bench(tid, step, slow=width == 64)
    if iid in ids:
        model = FerResNet18(width).eval()
        ix = torch.randn(256, 1, 48, 48)
        bench(iid, no_grad(lambda: model(ix)), slow=width == 64)

for rid in ids:
    if not any(r["id"] == rid for r in rows):
        skipped[rid] = "not implemented in the torch-cpu peer"
print(json.dumps(dict(peer="torch-cpu", version=torch.__version__,
                      details=f"{torch.get_num_threads()} threads", rows=rows, skipped=skipped)))
