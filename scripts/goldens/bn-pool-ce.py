#!/usr/bin/python3
"""Golden vectors for src/kernels/{batchnorm,pool,cross-entropy}, computed with PyTorch in float64.

Run with Debian's Python (python3-torch):
    /usr/bin/python3 scripts/goldens/bn-pool-ce.py > test/goldens/bn-pool-ce.json

Inputs come from torch.Generator seeded below, so the output is reproducible; they are stored in
the JSON too, so the tests do not depend on PyTorch's random numbers. Every gradient is
d(sum(gy * out))/d(input) for the stored gy, computed by torch.autograd.
"""
import json

import torch
import torch.nn.functional as F

SEED = 20240611
g = torch.Generator().manual_seed(SEED)


def randn(*shape, std=1.0, mean=0.0):
    return torch.randn(tuple(shape), generator=g, dtype=torch.float64) * std + mean


def flat(t):
    return t.detach().reshape(-1).tolist()


def grads(out, gy, *inputs):
    return [flat(x) for x in torch.autograd.grad(out, inputs, gy)]


def batchnorm():
    shape, C = [2, 3, 2, 3], 3
    weight = (1 + randn(C, std=0.5)).requires_grad_()
    bias = randn(C, std=0.5).requires_grad_()
    running_mean, running_var = randn(C, std=0.3), 0.5 + randn(C) ** 2
    case = {"shape": shape, "momentum": 0.2, "eps": 1e-5, "weight": flat(weight), "bias": flat(bias),
            "runningMean": flat(running_mean), "runningVar": flat(running_var), "steps": []}
    for _ in range(2):  # training steps: batch statistics, running estimates updated in place
        x = randn(*shape, std=2, mean=3).requires_grad_()
        gy = randn(*shape)
        y = F.batch_norm(x, running_mean, running_var, weight, bias, training=True, momentum=0.2, eps=1e-5)
        gx, gw, gb = grads(y, gy, x, weight, bias)
        case["steps"].append({"x": flat(x), "gy": flat(gy), "y": flat(y), "runningMean": flat(running_mean),
                              "runningVar": flat(running_var), "gx": gx, "gWeight": gw, "gBias": gb})
    x = randn(*shape, std=2, mean=3).requires_grad_()
    gy = randn(*shape)
    y = F.batch_norm(x, running_mean, running_var, weight, bias, training=False, eps=1e-5)
    gx, gw, gb = grads(y, gy, x, weight, bias)
    case["eval"] = {"x": flat(x), "gy": flat(gy), "y": flat(y), "gx": gx, "gWeight": gw, "gBias": gb}
    return case


def pools():
    # Small integers make ties, so the argmax tie rule is checked too.
    x = torch.randint(-3, 4, (2, 2, 5, 6), generator=g).to(torch.float64).requires_grad_()
    cases = []
    for opts in [{"kernelSize": 3, "stride": 2, "padding": 1}, {"kernelSize": 2, "stride": 1, "padding": 1},
                 {"kernelSize": 3, "stride": 1, "padding": 0}]:
        k, s, p = opts["kernelSize"], opts["stride"], opts["padding"]
        for op, fn in [("maxPool2d", F.max_pool2d), ("avgPool2d", F.avg_pool2d)]:
            y = fn(x, k, s, p)
            gy = randn(*y.shape)
            cases.append({"op": op, "options": opts, "outShape": list(y.shape), "y": flat(y), "gy": flat(gy),
                          "gx": grads(y, gy, x)[0]})
    y = F.adaptive_avg_pool2d(x, 1).flatten(1)
    gy = randn(*y.shape)
    cases.append({"op": "globalAvgPool2d", "options": {}, "outShape": list(y.shape), "y": flat(y), "gy": flat(gy),
                  "gx": grads(y, gy, x)[0]})
    return {"shape": list(x.shape), "x": flat(x), "cases": cases}


def cross_entropy():
    N, K = 6, 5
    z = randn(N, K, std=2).requires_grad_()
    t = torch.randint(0, K, (N,), generator=g)
    w = 0.25 + torch.rand(K, generator=g, dtype=torch.float64) * 2
    cases = []
    for reduction in ["mean", "sum", "none"]:
        for eps, weight in [(0.0, None), (0.2, None), (0.0, w), (0.2, w)]:
            loss = F.cross_entropy(z, t, weight=weight, label_smoothing=eps, reduction=reduction)
            gy = randn(*loss.shape)
            cases.append({"reduction": reduction, "labelSmoothing": eps, "weighted": weight is not None,
                          "loss": flat(loss), "gy": flat(gy), "grad": grads(loss, gy, z)[0]})
    return {"shape": [N, K], "logits": flat(z), "targets": t.tolist(), "weight": flat(w), "cases": cases}


print(json.dumps({"torch": torch.__version__, "seed": SEED, "batchNorm2d": batchnorm(), "pool": pools(),
                  "crossEntropy": cross_entropy()}))
