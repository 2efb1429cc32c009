#!/usr/bin/python3
"""Golden vectors for src/optim, computed with PyTorch itself (float32, CPU).

Run with Debian's Python (python3-torch):
    /usr/bin/python3 scripts/goldens/optim.py > test/goldens/optim.json

For each optimizer configuration: three parameters (sizes 1, 7, 33), three steps with fresh
gradients each (param 1 has no gradient at step 2, so it must be skipped), the learning rate
per step (some configurations change it between steps), and the parameters after the three
steps. For clip_grad_norm_: the gradients, max_norm, norm_type, total norm and clipped grads.
Options use fer-gpu's camelCase names; Infinity is written as the string "Infinity".
Every random choice comes from torch.Generator seeded below, so the output is reproducible.
"""
import json
import math

import torch

SEED = 20240612
SIZES = [1, 7, 33]
gen = torch.Generator().manual_seed(SEED)


def randn(n, scale=1.0):
    return torch.randn(n, generator=gen, dtype=torch.float32) * scale


def floats(t):
    return [float(x) for x in t.tolist()]


def run(make, options, lrs):
    params = [randn(n).requires_grad_() for n in SIZES]
    start = [floats(p.detach()) for p in params]
    opt = make(params)
    grads = []
    for step, lr in enumerate(lrs):
        opt.param_groups[0]["lr"] = lr
        scale = [3.0, 0.1, 1.0][step]  # varying magnitudes make amsgrad's max matter
        step_grads = []
        for i, p in enumerate(params):
            if step == 1 and i == 1:
                p.grad = None
                step_grads.append(None)
            else:
                p.grad = randn(p.numel(), scale)
                step_grads.append(floats(p.grad))
        opt.step()
        grads.append(step_grads)
    return {
        "options": options,
        "lrs": lrs,
        "params": start,
        "grads": grads,
        "expected": [floats(p.detach()) for p in params],
    }


def sgd(lrs, **o):
    options = {"lr": lrs[0], **{camel(k): v for k, v in o.items()}}
    return run(lambda ps: torch.optim.SGD(ps, lr=lrs[0], **o), options, lrs)


def adamw(lrs, **o):
    options = {"lr": lrs[0], **{camel(k): v for k, v in o.items()}}
    return run(lambda ps: torch.optim.AdamW(ps, lr=lrs[0], **o), options, lrs)


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


def clip(sizes, max_norm, norm_type):
    params = [torch.zeros(n, requires_grad=True) for n in sizes]
    for p in params:
        p.grad = randn(p.numel())
    grads = [floats(p.grad) for p in params]
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    return {
        "grads": grads,
        "maxNorm": max_norm,
        "normType": "Infinity" if math.isinf(norm_type) else norm_type,
        "total": float(total),
        "clipped": [floats(p.grad) for p in params],
    }


golden = {
    "torch": torch.__version__,
    "sgd": [
        sgd([0.1, 0.1, 0.1]),
        sgd([0.1, 0.1, 0.05], momentum=0.9),
        sgd([0.05, 0.05, 0.05], momentum=0.9, dampening=0.3),
        sgd([0.1, 0.1, 0.1], momentum=0.9, nesterov=True),
        sgd([0.1, 0.1, 0.1], weight_decay=0.01),
        sgd([0.1, 0.1, 0.1], maximize=True),
        sgd([0.02, 0.02, 0.01], momentum=0.8, weight_decay=5e-4, nesterov=True, maximize=True),
        sgd([0.1, 0.1, 0.1], momentum=0.5, dampening=0.5, weight_decay=0.1, maximize=True),
    ],
    "adamw": [
        adamw([1e-3, 1e-3, 1e-3]),
        adamw([0.01, 0.01, 0.005], amsgrad=True),
        adamw([0.01, 0.01, 0.01], weight_decay=0.0),
        adamw([0.01, 0.01, 0.01], betas=[0.8, 0.99], eps=1e-6, weight_decay=0.1, amsgrad=True),
        adamw([0.01, 0.01, 0.01], maximize=True),
    ],
    "clip": [
        clip([1, 7, 300], 1.0, 2.0),
        clip([1, 7, 300], 100.0, 2.0),
        clip([1, 7, 300], 5.0, 1.0),
        clip([1, 7, 300], 0.5, math.inf),
        clip([1, 7, 300], 2.0, 3.0),
        clip([4097], 10.0, 2.0),
    ],
}
print(json.dumps(golden))
