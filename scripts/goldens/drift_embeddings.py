#!/usr/bin/python3
"""Golden vectors for src/drift/embeddings.ts: Evidently's embedding drift methods (mmd, ratio, distance).

Evidently is not installable here (no pandas), so the methods of
src/evidently/legacy/metrics/data_drift/embedding_drift_methods.py are re-stated below on numpy
arrays with the same sklearn/scipy calls, seeds and bootstrap loops. `pandas.DataFrame.sample(k,
random_state=0)` is `np.random.RandomState(0).choice(len, k, replace=False)`.
The `model` method is not here: it trains sklearn's SGDClassifier, which fer-gpu replaces.
Run:  /usr/bin/python3 scripts/goldens/drift_embeddings.py   → test/goldens/drift_embeddings.json
"""
import json
import os

import numpy as np
from scipy.spatial.distance import chebyshev, cityblock, cosine, euclidean
from scipy.stats import wasserstein_distance
from sklearn.decomposition import PCA
from sklearn.metrics import pairwise_distances, pairwise_kernels

DISTANCE_DICT = {"euclidean": euclidean, "cosine": cosine, "cityblock": cityblock, "chebyshev": chebyshev}
N_BOOTSTRAP = 100


def sample(a, k):
    """pandas a.sample(min(len, k), random_state=0)"""
    return a[np.random.RandomState(0).choice(len(a), min(len(a), k), replace=False)]


def pca(ref, cur, k):
    p = PCA(n_components=k, random_state=0)
    return p.fit_transform(ref), p.transform(cur)


def distance_method(cur, ref, dist="euclidean", threshold=0.2, bootstrap=None, q=0.95):
    res = DISTANCE_DICT[dist](ref.mean(axis=0), cur.mean(axis=0))
    if bootstrap:
        bstrp = []
        b_ref = int(ref.shape[0] ** 2 / (ref.shape[0] + cur.shape[0]))
        b_cur = int(cur.shape[0] * ref.shape[0] / (ref.shape[0] + cur.shape[0]))
        for i in range(N_BOOTSTRAP):
            np.random.seed(i)
            a = np.random.choice(ref.shape[0], b_ref)
            b = np.random.choice(ref.shape[0], b_cur)
            bstrp.append(DISTANCE_DICT[dist](ref[a].mean(axis=0), ref[b].mean(axis=0)))
        perc = np.percentile(bstrp, 100 * q)
        return res, bool(res > perc), perc
    return res, bool(res > threshold), threshold


def ratio_method(cur, ref, component_threshold=0.1, threshold=0.2):
    drifted = 0
    for i in range(ref.shape[1]):
        score = wasserstein_distance(ref[:, i], cur[:, i]) / max(np.std(ref[:, i]), 0.001)  # wasserstein_distance_norm.py
        if score >= component_threshold:
            drifted += 1
    share = drifted / ref.shape[1]
    return share, bool(share > threshold), threshold


def MMD2u(K, m, n):
    Kx = K[:m, :m]
    Ky = K[m:, m:]
    Kxy = K[:m, m:]
    return (1.0 / (m * (m - 1.0)) * (Kx.sum() - Kx.diagonal().sum())
            + 1.0 / (n * (n - 1.0)) * (Ky.sum() - Ky.diagonal().sum())
            - 2.0 / (m * n) * Kxy.sum())


def MMD2u_bstrp(K, m, n, x_idx, y_idx):
    Kx = K[[[i] for i in x_idx], x_idx]
    Ky = K[[[i] for i in y_idx], y_idx]
    Kxy = K[[[i] for i in x_idx], y_idx]
    return (1.0 / (m * (m - 1.0)) * (Kx.sum() - Kx.diagonal().sum())
            + 1.0 / (n * (n - 1.0)) * (Ky.sum() - Ky.diagonal().sum())
            - 2.0 / (m * n) * Kxy.sum())


def mmd_method(cur, ref, threshold=0.015, bootstrap=None, q=0.05):
    x, y = ref, cur
    m, n = len(x), len(y)
    pair_dists = pairwise_distances(sample(x, 1000), sample(y, 1000), metric="euclidean")
    sigma2 = np.median(pair_dists) ** 2
    K = pairwise_kernels(np.vstack([x, y]), metric="rbf", gamma=1.0 / sigma2)
    mmd2u = MMD2u(K, m, n)
    if bootstrap:
        sigma2_x = np.median(pairwise_distances(sample(x, 1000), metric="euclidean")) ** 2
        K = pairwise_kernels(x, metric="rbf", gamma=1.0 / sigma2_x)
        x_size = max(int(m * m / (m + n)), 1)
        y_size = max(int(m * n / (m + n)), 1)
        bstrp = []
        for i in range(N_BOOTSTRAP):
            np.random.seed(i)
            x_idxs = np.random.choice(m, x_size)
            y_idxs = np.random.choice(m, y_size)
            bstrp.append(MMD2u_bstrp(K, x_size, y_size, x_idxs, y_idxs))
        perc = np.percentile(bstrp, 100 * q)
        return max(mmd2u, 0), bool(mmd2u > perc), perc
    return max(mmd2u, 0), bool(mmd2u > threshold), threshold


def make_cases():
    rng = np.random.default_rng(7)
    mix = rng.normal(size=(10, 10))
    cases = [
        ("no drift, 80 vs 70 rows, 6 dims", rng.normal(size=(80, 6)), rng.normal(size=(70, 6)), None),
        ("shifted and scaled, 60 vs 50 rows, 5 dims", rng.normal(size=(60, 5)),
         rng.normal(size=(50, 5)) * np.array([1, 1.5, 1, 1, 2]) + np.array([0.6, 0, 0.3, 0, 0]), None),
        ("1200 vs 1100 rows (sampled bandwidth), 3 dims", rng.normal(size=(1200, 3)),
         rng.normal(size=(1100, 3)) + np.array([0.15, 0, 0]), None),
        ("PCA 3 of 10 correlated dims", rng.normal(size=(90, 10)) @ mix,
         (rng.normal(size=(70, 10)) + np.array([0.5] + [0] * 9)) @ mix, 3),
    ]
    return [(name, np.round(r, 3), np.round(c, 3), k) for name, r, c, k in cases]


def main():
    out = []
    for name, ref, cur, k in make_cases():
        r, c = (pca(ref, cur, k) if k else (ref, cur))
        results = {}
        for boot in (False, True):
            s, d, t = mmd_method(c.copy(), r.copy(), bootstrap=boot)
            results[f"mmd{'_bootstrap' if boot else ''}"] = {"score": s, "drifted": d, "threshold": t}
            for dist in DISTANCE_DICT:
                if boot and dist in ("cityblock", "chebyshev"):
                    continue
                if k and dist == "cosine":
                    continue  # after PCA the reference mean is ~1e-16: its cosine is rounding noise
                s, d, t = distance_method(c, r, dist=dist, bootstrap=boot)
                results[f"distance_{dist}{'_bootstrap' if boot else ''}"] = {"score": s, "drifted": d, "threshold": t}
        s, d, t = ratio_method(c, r)
        results["ratio"] = {"score": s, "drifted": d, "threshold": t}
        out.append({"name": name, "pcaComponents": k, "ref": ref.tolist(), "cur": cur.tolist(), "results": results})
    path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "goldens", "drift_embeddings.json")
    with open(path, "w") as f:
        json.dump({"generator": "scripts/goldens/drift_embeddings.py", "cases": out}, f)
    for case in out:
        print(case["name"], {k: round(v["score"], 5) for k, v in case["results"].items()})


if __name__ == "__main__":
    main()
