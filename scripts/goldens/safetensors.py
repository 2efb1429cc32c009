#!/usr/bin/python3
"""PyTorch goldens for fer-gpu's safetensors checkpoints and its fer-resnet18 model.

    /usr/bin/python3 scripts/goldens/safetensors.py                 # (re)writes the goldens below
    /usr/bin/python3 scripts/goldens/safetensors.py verify F.safetensors   # checks a fer-gpu file

Writes, for FerResNet18(width=4) (scripts/goldens/fer_resnet18.py) built with torch.manual_seed(0):
  test/goldens/fer_resnet18_w4.safetensors       eval-mode state dict (F32; I64 num_batches_tracked)
                                                 with fer-gpu metadata
  test/goldens/fer_resnet18_w4_io.json           inputs, eval logits, train-mode logits and loss
  test/goldens/fer_resnet18_w4_step.safetensors  one training step on the train batch:
                                                 "grad.<param>"  gradient of the mean cross-entropy,
                                                 "after.<name>"  state dict after one SGD step
                                                 (lr 0.01, momentum 0.9, weight decay 5e-4), with
                                                 BatchNorm running stats updated by that forward pass
Inputs are 8-bit pixels (uint8 in the JSON); the model sees x = (pixel / 255 - 0.5) / 0.5 in float32.
BatchNorm weight/bias are random and the running stats come from 3 train-mode passes over random
data, so no BN parameter is trivial. Gradients and weights are stored in binary (exact F32):
as JSON text they would take over 1 MB.

The Python `safetensors` package is not in Debian 12, so files are read and written here with
struct + json exactly as the reference implementation (huggingface/safetensors, tensor.rs) does:
u64-LE header length, compact JSON header padded with spaces to a multiple of 8, "__metadata__"
first, tensors laid out by dtype (I64, F64, F32, I32, U8), then by name, with no gaps.

verify mode loads a safetensors file (e.g. written by fer-gpu) into FerResNet18 with
load_state_dict(strict=True), dtypes checked too, and prints {"logits": ...} (full precision) for the
golden eval input, so interop is checked in both directions.
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fer_resnet18 import FerResNet18  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDENS = os.path.join(ROOT, "test", "goldens")
CHECKPOINT = "fer_resnet18_w4.safetensors"
IO_JSON = "fer_resnet18_w4_io.json"
STEP = "fer_resnet18_w4_step.safetensors"

WIDTH, SEED, MEAN, STD = 4, 0, 0.5, 0.5
CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
TRAIN_LABELS = [3, 0, 6, 5]
SGD = {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4}

DTYPE_NAME = {torch.float32: "F32", torch.float64: "F64", torch.int32: "I32", torch.int64: "I64",
              torch.uint8: "U8"}
TORCH_DTYPE = {v: k for k, v in DTYPE_NAME.items()}
LAYOUT_RANK = {"U8": 0, "I32": 1, "F32": 2, "F64": 3, "I64": 4}  # order in the reference's Dtype enum

assert sys.byteorder == "little", "safetensors data is little-endian"


def save_safetensors(path, tensors, metadata=None):
    items = sorted(tensors.items(), key=lambda kv: (-LAYOUT_RANK[DTYPE_NAME[kv[1].dtype]], kv[0].encode()))
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, t in items:
        blob = t.detach().contiguous().numpy().tobytes()
        header[name] = {"dtype": DTYPE_NAME[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert 8 + n <= len(raw), f"{path}: header length {n} runs past the end"
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    data = raw[8 + n:]
    tensors, end = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, stop = info["data_offsets"]
        assert begin == end, f"{path}: tensor {name} starts at {begin}, previous ended at {end}"
        dtype = TORCH_DTYPE[info["dtype"]]
        t = torch.frombuffer(bytearray(data[begin:stop]), dtype=dtype) if stop > begin else torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(info["shape"])
        end = stop
    assert end == len(data), f"{path}: tensors end at {end}, data area has {len(data)} bytes"
    return tensors, metadata


def fer_metadata(width):
    return {"format": "pt", "fer-gpu.arch": "fer-resnet18", "fer-gpu.width": str(width),
            "fer-gpu.mean": str(MEAN), "fer-gpu.std": str(STD), "fer-gpu.classes": ",".join(CLASSES)}


def normalize(pixels):
    return (pixels.float() / 255 - MEAN) / STD


def r8(values):
    """Floats rounded to 8 significant digits (enough for float32 goldens compared with tolerance)."""
    return [float(f"{v:.8g}") for v in values]


def make_goldens():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    model = FerResNet18(width=WIDTH)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
        model.train()
        for _ in range(3):
            model(torch.randn(8, 1, 48, 48) * 1.5 + 0.2)
    model.eval()
    state = model.state_dict()
    save_safetensors(os.path.join(GOLDENS, CHECKPOINT), state, fer_metadata(WIDTH))

    g = torch.Generator().manual_seed(1)
    eval_pixels = torch.randint(0, 256, (2, 1, 48, 48), generator=g, dtype=torch.uint8)
    train_pixels = torch.randint(0, 256, (4, 1, 48, 48), generator=g, dtype=torch.uint8)
    with torch.no_grad():
        eval_logits = model(normalize(eval_pixels))

    model.train()
    opt = torch.optim.SGD(model.parameters(), **SGD)
    opt.zero_grad()
    train_logits = model(normalize(train_pixels))
    loss = F.cross_entropy(train_logits, torch.tensor(TRAIN_LABELS))
    loss.backward()
    grads = {f"grad.{name}": p.grad.clone() for name, p in model.named_parameters()}
    opt.step()
    after = {f"after.{name}": t.clone() for name, t in model.state_dict().items()}
    save_safetensors(os.path.join(GOLDENS, STEP), {**grads, **after})

    io = {
        "about": "Written by scripts/goldens/safetensors.py (see its docstring); x = (pixel / 255 - mean) / std.",
        "torch": torch.__version__,
        "seed": SEED, "width": WIDTH, "mean": MEAN, "std": STD, "classes": CLASSES,
        "checkpoint": CHECKPOINT,
        "state_dict": [[name, list(t.shape), DTYPE_NAME[t.dtype]] for name, t in state.items()],
        "eval": {"shape": list(eval_pixels.shape), "pixels": eval_pixels.flatten().tolist(),
                 "logits": [r8(row) for row in eval_logits.tolist()]},
        "train": {"shape": list(train_pixels.shape), "pixels": train_pixels.flatten().tolist(),
                  "labels": TRAIN_LABELS, "logits": [r8(row) for row in train_logits.tolist()],
                  "loss": r8([loss.item()])[0], "sgd": SGD, "step_file": STEP},
    }
    with open(os.path.join(GOLDENS, IO_JSON), "w") as f:
        json.dump(io, f, separators=(",", ":"))
        f.write("\n")


def verify(path):
    tensors, metadata = load_safetensors(path)
    width = int(metadata.get("fer-gpu.width", tensors["conv1.weight"].shape[0]))
    model = FerResNet18(width=width)
    expected = model.state_dict()
    wrong = [f"{k}: {DTYPE_NAME[t.dtype]}, expected {DTYPE_NAME[expected[k].dtype]}"
             for k, t in tensors.items() if k in expected and t.dtype != expected[k].dtype]
    if wrong:
        sys.exit(f"{path}: wrong dtypes: " + "; ".join(wrong))
    model.load_state_dict(tensors, strict=True)
    model.eval()
    with open(os.path.join(GOLDENS, IO_JSON)) as f:
        golden = json.load(f)
    pixels = torch.tensor(golden["eval"]["pixels"], dtype=torch.uint8).reshape(golden["eval"]["shape"])
    with torch.no_grad():
        logits = model(normalize(pixels))
    print(json.dumps({"metadata": metadata, "logits": logits.tolist()}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "verify":
        verify(sys.argv[2])
    elif len(sys.argv) == 1:
        make_goldens()
    else:
        sys.exit(__doc__)
