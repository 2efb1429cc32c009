#!/usr/bin/python3
"""Golden vectors for Evidently's TVD stattest and the CPython set order it depends on.

Evidently (src/evidently/legacy/calculations/stattests/tvd_stattest.py and utils.permutation_test)
computes the total variation distance in float64 over the keys of
`list(set(ref.unique()) | set(cur.unique()))`: Python's set iteration order, which for numbers
follows their hashes and the insertion order. Near-ties of the permutation test round differently
in another order, so fer-gpu reproduces the order. This script runs the same code on real CPython
sets and NumPy (only NumPy is needed; the few pandas.Series behaviours used are stated below).
Run:  python3 scripts/goldens/tvd.py    Writes test/goldens/tvd.json.
"""
import json
import os
import sys
from collections import Counter

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "goldens", "tvd.json")


def unique(values):
    """pandas.Series.unique(): the distinct values in order of first appearance."""
    return list(dict.fromkeys(values))


def value_counts(values):
    return {k: np.int64(v) for k, v in Counter(values).items()}


def keys_of(ref, cur):  # utils.get_unique_not_nan_values_list_from_series
    return list(set(unique(ref)) | set(unique(cur)))


def tvd(ref, cur):  # tvd_stattest._total_variation_distance
    keys = keys_of(ref, cur)
    r = list({**dict.fromkeys(keys, 0), **value_counts(ref)}.values())
    c = list({**dict.fromkeys(keys, 0), **value_counts(cur)}.values())
    return 0.5 * np.sum(np.abs(r / sum(r) - c / sum(c)))


def tvd_pvalue(ref, cur, iterations=1000):  # tvd_stattest._tvd_stattest + utils.permutation_test
    observed = tvd(ref, cur)
    np.random.seed(0)
    hold = []
    for _ in range(iterations):
        combined = list(ref) + list(cur)
        new_ref = np.random.choice(combined, len(ref), replace=False).tolist()
        new_cur = list((Counter(combined) - Counter(new_ref)).elements())
        hold.append(tvd(new_ref, new_cur))
    return float(sum(observed <= abs(np.array(hold))) / len(hold)), float(observed)


def integer_pvalue(ref, cur, iterations=1000):
    """The same permutations with the TVD compared exactly (integers): what fer-gpu did before."""
    def scaled(a, b):
        ca, cb = Counter(a), Counter(b)
        return sum(abs(ca[k] * len(b) - cb[k] * len(a)) for k in set(ca) | set(cb))
    observed = scaled(ref, cur)
    np.random.seed(0)
    hits = 0
    for _ in range(iterations):
        combined = list(ref) + list(cur)
        new_ref = np.random.choice(combined, len(ref), replace=False).tolist()
        new_cur = list((Counter(combined) - Counter(new_ref)).elements())
        hits += observed <= scaled(new_ref, new_cur)
    return hits / iterations


def repeat(values, counts):
    return [v for v, n in zip(values, counts) for _ in range(n)]


def main():
    six = [1, 2, 3, 4, 5, 6]
    ref6 = repeat(six, [16, 18, 16, 14, 12, 12])
    # Evidently's own test inputs (tests/stattests/test_stattests.py::test_tvd_stattest) and the
    # p-values that test expects.
    evidently = [
        ("evidently_1", ref6, repeat(six, [16, 16, 16, 16, 16, 8]), 0.928),
        ("evidently_2", ref6, repeat(six, [10, 10, 24, 24, 10, 10]), 0.085),
        ("evidently_3", ref6, repeat(six, [0, 0, 0, 0, 0, 88]), 0.0),
        ("evidently_4", ref6, repeat(six, [16, 18, 16, 14, 12, 12]), 1.0),
        ("evidently_5", ref6, repeat(six, [10, 24, 12, 16, 8, 16]), 0.309),
    ]
    rng = np.random.default_rng(20251128)
    # Keys whose set order is not their sorted order: hash collisions, negatives, fractions, big ints.
    wide = [int(v) for v in rng.integers(-40, 200, 30)]
    fractions = [0.5, 1.25, -3.75, 2.0, 1e-3, 123.456, 7.0, 1e6 + 0.5]
    tvd_cases = [
        ("codes_0_9", [int(v) for v in rng.integers(0, 10, 120)], [int(v) for v in rng.integers(0, 10, 100)]),
        ("wide_ints", [int(v) for v in rng.choice(wide, 150)], [int(v) for v in rng.choice(wide, 90)]),
        ("fractions", [float(v) for v in rng.choice(fractions, 80)], [float(v) for v in rng.choice(fractions, 70)]),
        ("float_codes", [float(v) for v in rng.integers(0, 7, 60)], [float(v) for v in rng.integers(0, 7, 64)]),
    ]
    cases = []
    for name, ref, cur, *expected in evidently + [(n, r, c) for n, r, c in tvd_cases]:
        p, observed = tvd_pvalue(ref, cur)
        case = {"name": name, "ref": ref, "cur": cur, "pValue": p, "tvd": observed, "integerPValue": integer_pvalue(ref, cur)}
        if expected:
            case["evidentlyTestExpects"] = expected[0]
        cases.append(case)

    # CPython's set order for unions of numbers, and hashes (checked one by one in the tests).
    order_cases = []
    for n_a, n_b, lo, hi in [(5, 4, 0, 8), (12, 9, -20, 60), (40, 35, -1000, 1000), (3, 30, 0, 10**7)]:
        a = unique(int(v) for v in rng.integers(lo, hi, n_a))
        b = unique(int(v) for v in rng.integers(lo, hi, n_b))
        order_cases.append({"a": a, "b": b, "order": list(set(a) | set(b))})
    fa = unique(float(v) for v in np.round(rng.normal(0, 50, 25), 2))
    fb = unique(float(v) for v in np.round(rng.normal(0, 50, 20), 1))
    order_cases.append({"a": fa, "b": fb, "order": list(set(fa) | set(fb))})
    hash_values = [0.0, -0.0, 1.0, -1.0, -2.0, 0.5, -0.5, 1.25, 1e-3, 123.456, -3.75, 1e300, 5e-324, 2.0**60, 2.0**62, -(2.0**63), 1e6 + 0.5]
    hashes = [[v, str(hash(v))] for v in hash_values] + [[v, str(hash(v))] for v in [int(x) for x in rng.integers(-(2**52), 2**52, 8)]]

    out = {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "tvd": cases,
        "setOrder": order_cases,
        "hashes": hashes,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
    for c in cases:
        print(f"{c['name']:12s} p {c['pValue']:.3f} (integer ties {c['integerPValue']:.3f})" + (f", Evidently's test expects {c['evidentlyTestExpects']}" if "evidentlyTestExpects" in c else ""))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
