#!/usr/bin/python3
"""Golden vectors for src/metrics, computed with scikit-learn.

Run with Debian's Python (scikit-learn 1.2.1 on Debian 12):
    /usr/bin/python3 scripts/goldens/metrics.py > test/goldens/metrics.json

Every random choice comes from numpy's Generator seeded below, so the output is reproducible.
NaN and ±inf are written as strings "NaN", "Infinity", "-Infinity" (JSON has none); an sklearn ValueError as {"error": message}.
ECE has no sklearn function; it is computed here with the textbook numpy formula (Guo et al. 2017).
"""
import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn import metrics as skm

warnings.simplefilter("ignore")  # sklearn's UndefinedMetricWarning etc.; the values are what we test
SEED = 20240611


def clean(x):
    """numpy -> JSON-able python, NaN -> "NaN"."""
    if isinstance(x, dict):
        return {str(k): clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [clean(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if np.isnan(x):
            return "NaN"
        return x if np.isfinite(x) else ("Infinity" if x > 0 else "-Infinity")
    return x


def attempt(fn):
    try:
        return fn()
    except ValueError as e:
        return {"error": str(e)}


def ece(y_true, probs, classes, n_bins=15):
    conf = probs.max(axis=1).astype(np.float64)
    pred = np.asarray(classes)[probs.argmax(axis=1)]
    correct = (pred == y_true).astype(np.float64)
    edges = np.linspace(0, 1, n_bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (conf > lo) & (conf <= hi)
        if in_bin.any():
            total += abs(correct[in_bin].mean() - conf[in_bin].mean()) * in_bin.mean()
    return total


def label_metrics(y_true, y_pred, labels, target_names):
    kw = {} if labels is None else {"labels": labels}
    out = {
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "balancedAccuracy": skm.balanced_accuracy_score(y_true, y_pred),
        "balancedAccuracyAdjusted": skm.balanced_accuracy_score(y_true, y_pred, adjusted=True),
        "mcc": skm.matthews_corrcoef(y_true, y_pred),
        "kappa": {str(w): attempt(lambda: skm.cohen_kappa_score(y_true, y_pred, weights=w, **kw))
                  for w in (None, "linear", "quadratic")},
        "cm": {str(n): attempt(lambda: skm.confusion_matrix(y_true, y_pred, normalize=n, **kw))
               for n in (None, "true", "pred", "all")},
        "prf": {},
        "report": {},
    }
    for zd in (0, 1):
        for avg in (None, "micro", "macro", "weighted"):
            p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, average=avg, zero_division=zd, **kw)
            out["prf"][f"{avg}|{zd}"] = {"precision": p, "recall": r, "f1": f, "support": s}
    for digits in (0, 2, 4):
        out["report"][str(digits)] = skm.classification_report(
            y_true, y_pred, target_names=target_names, digits=digits, **kw)
    out["report"]["dict"] = skm.classification_report(
        y_true, y_pred, target_names=target_names, output_dict=True, **kw)
    return out


def prob_metrics(y_true, probs, classes, pass_labels):
    """classes: the class of each column (sorted). pass_labels: give sklearn `labels=classes`."""
    kw = {"labels": classes} if pass_labels else {}
    k = probs.shape[1]
    score = probs[:, 1] if k == 2 else probs  # sklearn's binary form takes the positive column
    out = {f"top{kk}": attempt(lambda: skm.top_k_accuracy_score(y_true, score, k=kk, **kw)) for kk in (1, 2, 3)}
    out["logLoss"] = attempt(lambda: skm.log_loss(y_true, probs, **kw))
    for avg in ("macro", "weighted"):
        if k == 2:
            out["auc_" + avg] = attempt(lambda: skm.roc_auc_score(y_true, score))
        else:
            out["auc_" + avg] = attempt(
                lambda: skm.roc_auc_score(y_true, probs, multi_class="ovr", average=avg, **kw))
    out["ece"] = ece(y_true, probs, classes)
    return out


def random_case(rng, idx):
    k = int(rng.integers(2, 9))
    n = int(rng.integers(1, 120)) if idx % 4 else int(rng.integers(120, 300))
    classes = np.arange(k)
    if idx % 5 == 3:  # non-contiguous / negative class ids
        classes = np.sort(rng.choice(np.arange(-3, 20), size=k, replace=False))
    # Some classes never occur as truth, some are never predicted.
    true_pool = classes if rng.random() < 0.5 else rng.choice(classes, size=max(1, k - int(rng.integers(1, 3))), replace=False)
    y_true = rng.choice(true_pool, size=n)
    skill = rng.random()
    logits = rng.normal(size=(n, k)) * rng.uniform(0.5, 3)
    logits[np.arange(n), np.searchsorted(classes, y_true)] += skill * 4
    if rng.random() < 0.3:  # coarse logits -> tied scores
        logits = np.round(logits)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    dtype = "float32" if idx % 3 == 0 else "float64"
    if dtype == "float32":
        probs = probs.astype(np.float32)
    y_pred = classes[probs.argmax(axis=1)]
    if rng.random() < 0.3:  # drop a predicted class entirely
        y_pred = np.where(y_pred == classes[0], classes[-1], y_pred)
    labels = None
    r = rng.random()
    if r < 0.2:
        labels = list(classes)  # all classes, including absent ones
    elif r < 0.3:
        labels = list(rng.permutation(classes)[: max(1, k - 1)])  # subset, shuffled
    names = None if rng.random() < 0.5 else [f"class_{c}" for c in (labels if labels is not None else np.unique(np.concatenate([y_true, y_pred])))]
    case = {
        "name": f"random-{idx}",
        "yTrue": y_true, "yPred": y_pred, "labels": labels, "targetNames": names,
        "expect": label_metrics(y_true, y_pred, labels, names),
        "probs": {
            "values": probs.astype(np.float64), "dtype": dtype, "classes": classes, "passLabels": True,
            "expect": prob_metrics(y_true, probs, list(classes), True),
        },
    }
    return case


def hand_case(name, y_true, y_pred, labels=None, names=None, probs=None, classes=None, pass_labels=True, dtype="float64"):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    case = {"name": name, "yTrue": y_true, "yPred": y_pred, "labels": labels, "targetNames": names,
            "expect": label_metrics(y_true, y_pred, labels, names)}
    if probs is not None:
        probs = np.asarray(probs, dtype=np.float32 if dtype == "float32" else np.float64)
        classes = list(range(probs.shape[1])) if classes is None else classes
        case["probs"] = {"values": probs.astype(np.float64), "dtype": dtype, "classes": classes, "passLabels": pass_labels,
                         "expect": prob_metrics(y_true, probs, classes, pass_labels)}
    return case


def main():
    rng = np.random.default_rng(SEED)
    cases = [random_case(rng, i) for i in range(60)]
    fer = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    cases += [
        hand_case("single class, all correct", [1, 1, 1], [1, 1, 1]),
        hand_case("never-predicted class", [0, 1, 2, 2], [0, 0, 2, 2]),
        hand_case("predicted class absent from truth", [0, 0, 1], [0, 2, 1]),
        hand_case("labels superset", [0, 1, 2, 2], [0, 2, 2, 1], labels=[0, 1, 2, 3]),
        hand_case("labels subset", [0, 1, 2, 2, 1], [0, 2, 2, 1, 1], labels=[0, 1]),
        hand_case("labels reordered", [0, 1, 2, 2, 1], [0, 2, 2, 1, 1], labels=[2, 0, 1]),
        hand_case("labels with no support, nothing predicted", [0, 1, 0], [1, 1, 0], labels=[5, 6]),
        hand_case("labels with no support, predicted", [0, 1, 0], [5, 1, 0], labels=[5, 6]),
        hand_case("labels absent from y_true", [0, 1], [2, 2], labels=[2]),
        hand_case("ties in rounding 0.625 and 0.125", [0] * 5 + [1] * 3 + [2] * 8, [0] * 5 + [0] * 3 + [2] * 1 + [1] * 7),
        hand_case("no correct prediction", [0, 1, 2], [1, 2, 0]),
        hand_case("binary", [0, 1, 1, 0, 1], [0, 1, 0, 0, 1], probs=[[.9, .1], [.2, .8], [.5, .5], [.5, .5], [.3, .7]]),
        hand_case("binary, scores tied at 0.5", [1, 0, 1, 0], [1, 0, 1, 0], probs=[[.5, .5]] * 4),
        hand_case("uniform rows: top-k ties", [0, 1, 2, 3], [0, 1, 2, 3], probs=[[.25] * 4] * 4),
        hand_case("partial ties", [0, 1, 2, 2], [1, 2, 2, 0],
                  probs=[[.4, .4, .2], [.4, .4, .2], [.2, .4, .4], [.4, .2, .4]]),
        hand_case("clipping zeros and ones, float64", [0, 1, 2], [0, 1, 1],
                  probs=[[1, 0, 0], [0, 1, 0], [0, 1, 0]]),
        hand_case("clipping zeros and ones, float32", [0, 1, 2], [0, 1, 1],
                  probs=[[1, 0, 0], [0, 1, 0], [0, 1, 0]], dtype="float32"),
        hand_case("class missing from truth: AUC undefined", [0, 1, 0, 1], [0, 1, 1, 1],
                  probs=[[.6, .3, .1], [.2, .7, .1], [.3, .3, .4], [.1, .8, .1]]),
        hand_case("labels from y_true only (no labels argument)", [3, 5, 7, 5], [3, 5, 5, 5],
                  probs=[[.6, .3, .1], [.2, .7, .1], [.3, .4, .3], [.1, .8, .1]], classes=[3, 5, 7], pass_labels=False),
        hand_case("FER names", [0, 1, 2, 3, 4, 5, 6, 3, 3, 6], [0, 2, 2, 3, 4, 5, 6, 3, 4, 6], names=fer),
        hand_case("long and non-ASCII names", [0, 1, 1, 2], [0, 1, 2, 2],
                  names=["a-very-long-class-name", "überraschung", "x"]),
    ]
    doc = {"sklearn": sklearn.__version__, "numpy": np.__version__, "seed": SEED, "cases": cases}
    json.dump(clean(doc), sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
