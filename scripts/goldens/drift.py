#!/usr/bin/python3
"""Golden vectors for src/drift: Evidently's column stattests computed with SciPy.

Evidently is not installable here, so each stattest below re-states Evidently's formula
(src/evidently/legacy/calculations/stattests/<file>.py, cited per function) on top of SciPy/numpy.
Run with the system Python that has SciPy:  /usr/bin/python3 scripts/goldens/drift.py
Writes test/goldens/drift.json (inputs + scores + drift verdicts).
"""
import json
import math
import os
from collections import Counter

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance
from scipy.special import gammaln, kv
from scipy.stats import rankdata

class Series:
    """The few pandas.Series behaviours Evidently's stattests rely on (pandas is not installed here).
    Inputs are already NaN/inf-free (cleaned as in data_drift.get_one_column_drift)."""

    def __init__(self, values):
        self.values = np.asarray(values)
        self.shape = self.values.shape

    def __array__(self, dtype=None):
        return self.values if dtype is None else self.values.astype(dtype)

    def __len__(self):
        return len(self.values)

    def tolist(self):
        return self.values.tolist()

    def to_numpy(self):
        return self.values

    def copy(self):
        return Series(self.values.copy())

    def dropna(self):
        return self

    def unique(self):
        return np.array(list(dict.fromkeys(self.values.tolist())), dtype=self.values.dtype)

    def nunique(self):
        return len(set(self.values.tolist()))

    def value_counts(self):
        return {k: np.int64(v) for k, v in Counter(self.values.tolist()).items()}  # pandas counts are int64

    def apply(self, fn):
        return Series([fn(v) for v in self.values.tolist()])

    def map(self, mapping):
        return Series([mapping[v] for v in self.values.tolist()])

    def __iter__(self):
        return iter(self.values)


def concat(a, b):
    return Series(np.concatenate([a.values, b.values]))


OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "goldens", "drift.json")


# ---- utils.py -------------------------------------------------------------------------------
def unique_keys(ref, cur):
    return list(set(ref.dropna().unique()) | set(cur.dropna().unique()))


def get_binned_data(ref, cur, kind, feel_zeroes=True):
    # utils.get_binned_data
    if kind == "num" and ref.nunique() > 20:
        bins = np.histogram_bin_edges(concat(ref, cur).values, bins="sturges")
        rp = np.histogram(ref, bins)[0] / len(ref)
        cp = np.histogram(cur, bins)[0] / len(cur)
    else:
        keys = unique_keys(ref, cur)
        rd = {**dict.fromkeys(keys, 0), **dict(ref.value_counts())}
        cd = {**dict.fromkeys(keys, 0), **dict(cur.value_counts())}
        rp = np.array([rd[k] / len(ref) for k in keys])
        cp = np.array([cd[k] / len(cur) for k in keys])
    if feel_zeroes:
        for arr in (rp, cp):
            m = min(arr[arr != 0])
            np.place(arr, arr == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return rp, cp


def permutation_test(ref, cur, observed, fn, iterations=100):
    # utils.permutation_test
    np.random.seed(0)
    hold = []
    for _ in range(iterations):
        combined = ref.tolist() + cur.tolist()
        new_ref = np.random.choice(combined, len(ref), replace=False).tolist()
        new_cur = list((Counter(combined) - Counter(new_ref)).elements())
        hold.append(fn(Series(new_ref), Series(new_cur)))
    return sum(observed <= abs(np.array(hold))) / len(hold)


# ---- one function per Evidently stattest file ---------------------------------------------------
def ks(ref, cur, kind):  # ks_stattest.py
    return stats.ks_2samp(ref, cur)[1]


def counts_exp_obs(ref, cur):
    keys = unique_keys(ref, cur)
    rd = {**dict.fromkeys(keys, 0), **dict(ref.value_counts())}
    cd = {**dict.fromkeys(keys, 0), **dict(cur.value_counts())}
    k = cur.shape[0] / ref.shape[0]
    return [rd[x] * k for x in keys], [cd[x] for x in keys]


def chisquare(ref, cur, kind):  # chisquare_stattest.py
    f_exp, f_obs = counts_exp_obs(ref, cur)
    return stats.chisquare(f_obs, f_exp)[1]


def g_test(ref, cur, kind):  # g_stattest.py
    f_exp, f_obs = counts_exp_obs(ref, cur)
    return stats.power_divergence(f_obs, f_exp, lambda_="log-likelihood")[1]


def z(ref, cur, kind):  # z_stattest.py
    if ref.nunique() == 1 and cur.nunique() == 1 and ref.unique()[0] == cur.unique()[0]:
        return 1.0
    keys = sorted(unique_keys(ref, cur))

    def stat(r, c):
        n1, n2 = len(r), len(c)
        p1, p2 = float(sum(r)) / n1, float(sum(c)) / n2
        P = float(p1 * n1 + p2 * n2) / (n1 + n2)
        return (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))

    zs = stat(ref.apply(lambda x: 0 if x == keys[0] else 1), cur.apply(lambda x: 0 if x == keys[0] else 1))
    return 2 * (1 - stats.norm.cdf(np.abs(zs)))


def wasserstein(ref, cur, kind):  # wasserstein_distance_norm.py
    return stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)


def jensenshannon(ref, cur, kind):  # jensenshannon.py (base=None: natural log)
    rp, cp = get_binned_data(ref, cur, kind, False)
    return distance.jensenshannon(rp, cp, None)


def psi(ref, cur, kind):  # psi.py
    rp, cp = get_binned_data(ref, cur, kind)
    return np.sum((rp - cp) * np.log(rp / cp))


def kl_div(ref, cur, kind):  # kl_div.py
    rp, cp = get_binned_data(ref, cur, kind)
    return stats.entropy(rp, cp)


def hellinger(ref, cur, kind):  # hellinger_distance.py
    keys = list(set(ref.unique()) | set(cur.unique()))
    h = 0.0
    if kind == "cat":
        r = {k: v / len(ref) for k, v in ref.value_counts().items()}
        c = {k: v / len(cur) for k, v in cur.value_counts().items()}
        for k in keys:
            h += math.sqrt(r.get(k, 0) * c.get(k, 0))
    else:
        bins = np.histogram_bin_edges(keys, bins="sturges")
        h1 = np.histogram(ref.to_numpy(), bins=bins, density=True)[0]
        h2 = np.histogram(cur.to_numpy(), bins=bins, density=True)[0]
        w = (max(bins) - min(bins)) / (len(bins) - 1)
        for i in range(len(h1)):
            h += math.sqrt(h1[i] * h2[i]) * w
    return math.sqrt(1 - np.clip(h, 0, 1))


def ed(ref, cur, kind):  # energy_distance.py
    return stats.energy_distance(ref, cur)


def t_test(ref, cur, kind):  # t_test.py
    return stats.ttest_ind(ref, cur)[1]


def mannw(ref, cur, kind):  # mann_whitney_urank_stattest.py
    return stats.mannwhitneyu(x=ref, y=cur, alternative="less")[1]


def anderson(ref, cur, kind):  # anderson_darling_stattest.py
    return stats.anderson_ksamp([ref.values, cur.values])[2]


def _pval_cvm_2samp_exact(s, m, n):  # cramer_von_mises_stattest.py (Evidently's own copy)
    lcm = np.lcm(m, n)
    a = lcm // m
    b = lcm // n
    mn = m * n
    zeta = lcm**2 * (m + n) * (6 * s - mn * (4 * mn - 1)) // (6 * mn**2)
    zeta_bound = lcm**2 * (m + n)
    combinations = math.factorial(m + n) / (math.factorial(m) * math.factorial(n))
    dtype = np.min_scalar_type(max(zeta_bound, combinations))
    gs = [np.array([[0], [1]], dtype=dtype)] + [np.empty((2, 0), dtype=dtype) for _ in range(m)]
    for u in range(n + 1):
        next_gs = []
        tmp = np.empty((2, 0), dtype=dtype)
        for v, g in enumerate(gs):
            vi, i0, i1 = np.intersect1d(tmp[0], g[0], return_indices=True)
            tmp = np.concatenate([np.stack([vi, tmp[1, i0] + g[1, i1]]), np.delete(tmp, i0, 1), np.delete(g, i1, 1)], 1)
            tmp[0] += (a * v - b * u) ** 2
            next_gs.append(tmp)
        gs = next_gs
    value, freq = gs[m]
    return np.float64(np.sum(freq[value >= zeta]) / combinations)


def _cdf_cvm_inf(x):  # cramer_von_mises_stattest.py
    x = np.asarray(x)

    def term(x, k):
        u = np.exp(gammaln(k + 0.5) - gammaln(k + 1)) / (np.pi**1.5 * np.sqrt(x))
        y = 4 * k + 1
        q = y**2 / (16 * x)
        return u * np.sqrt(y) * np.exp(-q) * kv(0.25, q)

    tot = np.zeros_like(x, dtype="float")
    cond = np.ones_like(x, dtype="bool")
    k = 0
    while np.any(cond):
        zz = term(x[cond], k)
        tot[cond] = tot[cond] + zz
        cond[cond] = np.abs(zz) >= 1e-7
        k += 1
    return tot


def cramer_von_mises(ref, cur, kind):  # cramer_von_mises_stattest.py `_cvm_2samp`, method='auto'
    xa, ya = np.sort(ref.to_numpy()), np.sort(cur.to_numpy())
    nx, ny = len(xa), len(ya)
    method = "asymptotic" if max(nx, ny) > 20 else "exact"
    r = rankdata(np.concatenate([xa, ya]), method="average")
    rx, ry = r[:nx], r[nx:]
    u = nx * np.sum((rx - np.arange(1, nx + 1)) ** 2) + ny * np.sum((ry - np.arange(1, ny + 1)) ** 2)
    k, N = nx * ny, nx + ny
    t = u / (k * N) - (4 * k - 1) / (6 * N)
    if method == "exact":
        return _pval_cvm_2samp_exact(u, nx, ny)
    et = (1 + 1 / N) / 6
    vt = (N + 1.0) * (4 * k * N - 3 * (nx**2 + ny**2) - 2 * k) / (45 * N**2 * 4 * k)
    tn = 1 / 6 + (t - et) / np.sqrt(45 * vt)
    return 1.0 if tn < 0.003 else max(0, 1.0 - _cdf_cvm_inf(tn))


def fisher_exact(ref, cur, kind):  # fisher_exact_stattest.py + utils.generate_fisher2x2_contingency_table
    cats = set(ref.unique().tolist() + cur.unique().tolist())
    if len(cats) != 2:
        cats.add("placeholder")
    mapping = dict(zip(list(cats), [0, 1]))
    r, c = ref.map(mapping).to_numpy(), cur.map(mapping).to_numpy()
    table = np.array([[np.count_nonzero(c), c.size - np.count_nonzero(c)], [np.count_nonzero(r), r.size - np.count_nonzero(r)]])
    return stats.fisher_exact(table)[1]


def _tvd(ref, cur):  # tvd_stattest.py `_total_variation_distance`
    keys = unique_keys(ref, cur)
    r = list({**dict.fromkeys(keys, 0), **dict(ref.value_counts())}.values())
    c = list({**dict.fromkeys(keys, 0), **dict(cur.value_counts())}.values())
    return 0.5 * np.sum(np.abs(r / sum(r) - c / sum(c)))


def tvd(ref, cur, kind):  # tvd_stattest.py
    return permutation_test(ref, cur, _tvd(ref, cur), _tvd, iterations=1000)


def empirical_mmd(ref, cur, kind):  # mmd_stattest.py; Evidently leaves the global RNG unseeded, we seed 0
    x, y = ref.to_numpy().reshape(-1, 1), cur.to_numpy().reshape(-1, 1)

    def dist(a, b):
        return (b**2).T - 2 * np.dot(a, b.T) + a**2

    dxx = dist(x, x)
    sigma = (0.5 * np.percentile(a=dxx.flatten(), q=50, method="nearest")) ** 0.5
    if sigma == 0:
        sigma = 0.5**0.5
    gamma = 1.0 / (2.0 * sigma**2)
    kxx, kxy, kyy = np.exp(-gamma * dxx), np.exp(-gamma * dist(x, y)), np.exp(-gamma * dist(y, y))
    K = np.concatenate((np.concatenate((kxx, kxy), axis=1), np.concatenate((kxy.T, kyy), axis=1)), axis=0)
    K = K - np.diag(np.diagonal(K))
    ny = y.shape[0]

    def mmd_2samp(K, permute):
        nx = K.shape[0] - ny
        if permute:
            idx = np.random.permutation(K.shape[0])
            K = K[idx][:, idx]
        return (1 / (nx * (nx - 1))) * K[:-ny, :-ny].sum() + (1 / (ny * (ny - 1))) * K[-ny:, -ny:].sum() - 2.0 * K[-ny:, :-ny].mean()

    np.random.seed(0)
    mmd = mmd_2samp(K, False)
    perm = np.array([mmd_2samp(K, True) for _ in range(100)])
    return (mmd <= perm).mean()


# id -> (function, allowed kinds, default threshold, drift rule) as registered by Evidently.
TESTS = {
    "ks": (ks, ["num"], 0.05, "le"),
    "chisquare": (chisquare, ["cat"], 0.05, "lt"),
    "z": (z, ["cat"], 0.05, "lt"),
    "wasserstein": (wasserstein, ["num"], 0.1, "ge"),
    "jensenshannon": (jensenshannon, ["cat", "num"], 0.1, "ge"),
    "psi": (psi, ["cat", "num"], 0.1, "ge"),
    "kl_div": (kl_div, ["cat", "num"], 0.1, "ge"),
    "hellinger": (hellinger, ["cat", "num"], 0.1, "ge"),
    "ed": (ed, ["num"], 0.1, "gt"),
    "t_test": (t_test, ["num"], 0.05, "lt"),
    "mannw": (mannw, ["num"], 0.05, "lt"),
    "anderson": (anderson, ["num"], 0.1, "lt"),
    "cramer_von_mises": (cramer_von_mises, ["num"], 0.1, "le"),
    "g_test": (g_test, ["cat"], 0.1, "lt"),
    "fisher_exact": (fisher_exact, ["cat"], 0.1, "lt"),
    "TVD": (tvd, ["cat"], 0.1, "lt"),
    "empirical_mmd": (empirical_mmd, ["num"], 0.1, "lt"),
}
RULES = {"lt": lambda s, t: s < t, "le": lambda s, t: s <= t, "ge": lambda s, t: s >= t, "gt": lambda s, t: s > t}


def default_stattest(ref, cur, kind):  # registry._get_default_stattest
    n_values = concat(ref, cur).nunique()
    if ref.shape[0] <= 1000:
        if kind == "num" and n_values > 5:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    return "wasserstein" if kind == "num" and n_values > 5 else "jensenshannon"


def encode(v):
    if isinstance(v, str):
        return v
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return float(v)


def make_cases():
    rng = np.random.default_rng(20240601)
    n = rng.normal
    cats = np.array(["angry", "happy", "neutral", "sad", "surprise"])
    cases = [
        ("num_tiny_exact", "num", n(0, 1, 7), n(0.8, 1, 6)),
        ("num_small", "num", n(0, 1, 15), n(0.5, 1.3, 12)),
        ("num_small_equal_n", "num", n(0, 1, 18), n(0.2, 1, 18)),
        ("num_mid", "num", n(10, 2, 200), n(10.5, 2, 150)),
        ("num_mid_same", "num", n(0, 1, 300), n(0, 1, 250)),
        ("num_tied_ints", "num", rng.integers(0, 12, 300).astype(float), rng.integers(1, 13, 280).astype(float)),
        ("num_few_values", "num", rng.integers(0, 4, 120).astype(float), rng.integers(0, 5, 100).astype(float)),
        ("num_large", "num", n(0, 1, 1500), n(0.15, 1.1, 1200)),
        ("num_skewed", "num", rng.exponential(1, 400), rng.exponential(1.3, 380)),
        ("cat_binary", "cat", rng.choice(["no", "yes"], 200, p=[0.6, 0.4]), rng.choice(["no", "yes"], 200, p=[0.45, 0.55])),
        ("cat_binary_small", "cat", rng.choice(["no", "yes"], 30), rng.choice(["no", "yes"], 30)),
        ("cat_multi", "cat", rng.choice(cats, 400, p=[0.1, 0.3, 0.3, 0.2, 0.1]), rng.choice(cats[:4], 350)),
        ("cat_codes", "cat", rng.integers(0, 6, 500).astype(float), rng.integers(0, 7, 450).astype(float)),
        ("cat_large", "cat", rng.choice(cats, 2000), rng.choice(cats, 1800, p=[0.3, 0.2, 0.2, 0.2, 0.1])),
    ]
    nan_ref = n(0, 1, 80)
    nan_ref[[3, 17, 40]] = np.nan
    nan_ref[5] = np.inf
    nan_cur = n(0.6, 1, 70)
    nan_cur[[0, 9]] = np.nan
    nan_cur[33] = -np.inf
    cases.append(("num_nan_inf", "num", nan_ref, nan_cur))
    return cases


def main():
    out = {"scipy": scipy.__version__, "numpy": np.__version__, "cases": []}
    for name, kind, ref, cur in make_cases():
        # data_drift.get_one_column_drift: drop NaN and +-inf before any stattest
        finite = lambda a: a[np.isfinite(a)] if a.dtype.kind == "f" else a
        rc, cc = Series(finite(ref)), Series(finite(cur))
        results = {}
        for tid, (fn, kinds, thr, rule) in TESTS.items():
            if kind not in kinds:
                continue
            if tid == "fisher_exact" and (len(rc) != len(cc) or concat(rc, cc).nunique() > 2):
                continue
            if tid == "empirical_mmd" and len(rc) + len(cc) > 800:
                continue  # O(n^2) kernel; keep the tests fast
            score = float(fn(rc.copy(), cc.copy(), kind))
            results[tid] = {"score": score, "drifted": bool(RULES[rule](score, thr))}
        auto = default_stattest(rc, cc, kind)
        out["cases"].append({
            "name": name,
            "kind": kind,
            "ref": [encode(v) for v in ref.tolist()],
            "cur": [encode(v) for v in cur.tolist()],
            "auto": auto,
            "results": results,
        })
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
    print(f"wrote {OUT}: {len(out['cases'])} cases")


if __name__ == "__main__":
    main()
