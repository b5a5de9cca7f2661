#!/usr/bin/env python3
"""The crate's steps from features against the reference's PyTorch step.

    python3 benches/vs_pytorch.py --check     # the PyTorch step replays tests/golden
    python3 benches/vs_pytorch.py [--b 1024 --d 128 --reps 7 --sigmas 100,1.0,0.3]

Needs `torch` and `numpy` (pip). The authors' code is not in this
repository; the PyTorch step here is written from tests/golden/README.md,
which describes what their classes compute (`DGCL_Loss`, `GCL_Loss`,
`InfoNCE_Loss` of bokun-wang/NUCLR, the UNMODIFIED reference: linear-domain
moving averages shifted by a running max, unmasked exps, the 1e-16 clamp).
`--check` runs it in float64 on every golden case and compares its loss,
feature gradients and state with the outputs the authors' classes
recorded: that is what makes it their step and not ours.

The timing (one thread each, same features, same run): for each sigma,
`cargo bench --bench vs_pytorch` makes the features
(`tests/support/random.rs::family_features`, `y = normalize(x + sigma u)`),
times the crate's steps from raw features (`Features::Raw`, forward and
backward) and writes the features and its `dx`; this script reads them
and times PyTorch's forward (`F.normalize`, `S = X Y^T`, the loss) plus
autograd backward to the raw features, in float32, with
`torch.set_num_threads(1)`. Both start each timed step from the same
fresh state (first visits, zeta = -0.05, N = 10^6 ids, the zeta update
on; tau = 0.01, gamma = 0.8, theta = 0.9, eta 5e-6 / 5e-7, xi = 0). The
table gives medians in ms, ns per score entry (B^2), the ratio, and the
normwise relative difference of each side's f32 `dx` from the plain math
of SPEC sections 2-4 in float64 (this script's step with `plain=True`).
Two places where the reference's step is not that math: SogCLR adds eps
= 1e-10 to its shifted sum, which rules its weights where positives
stand out (the golden files' `noeps` block is the plain math); and
InfoNCE's cross-entropy gradient at the positive, `p_pos - 1`, rounds to
0 once `p_pos` rounds to 1, in float32 and in float64 alike.
"""

import argparse
import json
import math
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parent.parent
N = 1_000_000
TAU, GAMMA, THETA, ETA_T, ETA_I, ZETA_INIT = 0.01, 0.8, 0.9, 5e-6, 5e-7, -0.05


def features(x_raw, y_raw, normalize):
    if normalize:
        return F.normalize(x_raw, dim=1), F.normalize(y_raw, dim=1)
    return x_raw, y_raw


def diffs(x, y):
    """`S = X Y^T` and its differences to the positives: `dI[i][j] = S[i][j]
    - S[i][i]` (image anchors) and `dT[i][j] = S[i][j] - S[j][j]` (text
    anchors), with the graph; and the off-diagonal mask."""
    s = x @ y.T
    diag = torch.diagonal(s)
    mask = ~torch.eye(s.shape[0], dtype=torch.bool)
    return s.shape[0], s - diag[:, None], s - diag[None, :], mask


def dgcl(x, y, ii, it, st, hp, eta_i, eta_t, update):
    """One DGCL (NUCLR) step as tests/golden/README.md describes the
    authors' unmodified class: updates `st` in place, returns the loss
    (a graph to `x`, `y`)."""
    tau, gamma, theta, n = hp["temperature"], hp["gamma"], hp["theta"], hp["N"]
    b, d_i, d_t, mask = diffs(x, y)
    with torch.no_grad():
        bi_old, bt_old = st["b_I"][ii], st["b_T"][it]
        bi = torch.maximum(bi_old, d_i.max(dim=1).values)
        bt = torch.maximum(bt_old, d_t.max(dim=0).values)
        zt, zi = st["zeta_T"][it], st["zeta_I"][ii]
        e_i = torch.exp((d_i - bi[:, None] - zt[None, :]) / tau)
        e_t = torch.exp((d_t - bt[None, :] - zi[:, None]) / tau)
        g_i = (e_i * mask).sum(dim=1)
        g_t = (e_t * mask).sum(dim=0)
        si_old, st_old = st["s_I"][ii], st["s_T"][it]
        si = torch.where(si_old == 0, g_i, (1 - gamma) * si_old * torch.exp(bi_old - bi) + gamma * g_i)
        s_t = torch.where(st_old == 0, g_t, (1 - gamma) * st_old * torch.exp(bt_old - bt) + gamma * g_t)
        c = (b - 1) / (n - 1)
        if hp["vanilla"]:
            off_i = c * torch.exp(-(zt + bi) / tau)
            off_t = c * torch.exp(-(zi + bt) / tau)
        else:
            off_i = c * torch.exp(-(st["xi_T"] + bi) / tau)
            off_t = c * torch.exp(-(st["xi_I"] + bt) / tau)
        w_i = e_i * mask / torch.clamp(si + off_i, min=1e-16)[:, None]
        w_t = e_t * mask / torch.clamp(s_t + off_t, min=1e-16)[None, :]
        if update:
            dt_t = torch.clamp(s_t / (b - 1) + torch.exp(-(zi + bt) / tau) / (n - 1), min=1e-16)
            h_i = 1 - (n / (n - 1)) / b * (e_t / dt_t[None, :]).sum(dim=1)
            dt_i = torch.clamp(si / (b - 1) + torch.exp(-(zt + bi) / tau) / (n - 1), min=1e-16)
            h_t = 1 - (n / (n - 1)) / b * (e_i / dt_i[:, None]).sum(dim=0)
            for z, zeta, ids, h, eta in (("z_I", "zeta_I", ii, h_i, eta_i), ("z_T", "zeta_T", it, h_t, eta_t)):
                z_old = st[z][ids]
                z_new = torch.where(z_old == 0, h, (1 - theta) * z_old + theta * h)
                st[z][ids] = z_new
                st[zeta][ids] = st[zeta][ids] - eta * z_new
        st["s_I"][ii], st["s_T"][it] = si, s_t
        st["b_I"][ii], st["b_T"][it] = bi, bt
    return (w_i * d_i).sum(dim=1).mean() + (w_t * d_t).sum(dim=0).mean()


def gcl(x, y, ii, it, st, hp, epoch):
    """One GCL (SogCLR) step as tests/golden/README.md describes it."""
    tau, gamma, eps = hp["temperature"], hp["gamma"], hp["eps"]
    _, d_i, d_t, mask = diffs(x, y)
    with torch.no_grad():
        bi_old, bt_old = st["b_I"][ii], st["b_T"][it]
        bi = torch.maximum(bi_old, (d_i / tau).max(dim=1).values)
        bt = torch.maximum(bt_old, (d_t / tau).max(dim=0).values)
        e_i = torch.exp(d_i / tau - bi[:, None]) * mask
        e_t = torch.exp(d_t / tau - bt[None, :]) * mask
        g_i, g_t = e_i.sum(dim=1), e_t.sum(dim=0)
        if epoch == 0:
            si, s_t = g_i, g_t
        else:
            si = (1 - gamma) * st["s_I"][ii] * torch.exp(bi_old - bi) + gamma * g_i
            s_t = (1 - gamma) * st["s_T"][it] * torch.exp(bt_old - bt) + gamma * g_t
        w_i = e_i / (si + eps)[:, None]
        w_t = e_t / (s_t + eps)[None, :]
        st["s_I"][ii], st["s_T"][it] = si, s_t
        st["b_I"][ii], st["b_T"][it] = bi, bt
    return (w_i * d_i).sum(dim=1).mean() + (w_t * d_t).sum(dim=0).mean()


def infonce(x, y, tau):
    """The mean of both directions' cross-entropies, as the reference
    computes it (`F.cross_entropy`)."""
    s = x @ y.T
    labels = torch.arange(s.shape[0])
    return (F.cross_entropy(s / tau, labels) + F.cross_entropy(s.T / tau, labels)) / 2


def infonce_plain(x, y, tau):
    """The same loss as `ln(1 + sum_neg exp((S_ij - S_ii) / tau))` per
    anchor, the form of SPEC section 4: its autograd gradient at the
    positive is minus the negatives' weights, summed. Cross-entropy's is
    `p_pos - 1`, which rounds to 0 once `p_pos` rounds to 1 (positives
    that stand out), even in float64."""

    def direction(s):
        a = (s - torch.diagonal(s)[:, None]) / tau
        a = a.masked_fill(torch.eye(s.shape[0], dtype=torch.bool), float("-inf"))
        m = a.max(dim=1).values.detach().clamp(min=0)
        return (m + torch.log(torch.exp(-m) + torch.exp(a - m[:, None]).sum(dim=1))).mean()

    s = x @ y.T
    return (direction(s) + direction(s.T)) / 2


# ---- --check: the golden replay ----


def dense(v, n):
    a = torch.full((n,), float(v["fill"]) if v["fill"] is not None else 0.0, dtype=torch.float64)
    if v["index"]:
        a[torch.tensor(v["index"])] = torch.tensor([0.0 if t is None else t for t in v["value"]], dtype=torch.float64)
    return a


def check():
    worst = 0.0
    files = sorted((ROOT / "tests" / "golden").glob("*.json"))
    for f in files:
        case = json.loads(f.read_text())
        kind, hp = case["kind"], dict(case["hyper"], N=case["N"])
        for step in case["steps"]:
            x = torch.tensor(step["image_features"], dtype=torch.float64, requires_grad=True)
            y = torch.tensor(step["text_features"], dtype=torch.float64, requires_grad=True)
            ii, it = torch.tensor(step["image_ids"]), torch.tensor(step["text_ids"])
            out = step["outputs"]
            st = {}
            if kind != "infonce":
                before = step["state_before"]
                st = {k: dense(v, case["N"]) for k, v in before.items() if isinstance(v, dict) and k[:2] != "lo"}
                st.update({k: v for k, v in before.items() if not isinstance(v, dict)})
            if kind == "dgcl":
                update = step["epoch"] >= hp["start_epochs"]
                loss = dgcl(x, y, ii, it, st, hp, out["eta_I"], out["eta_T"], update)
            elif kind == "gcl":
                loss = gcl(x, y, ii, it, st, hp, step["epoch"])
            else:
                loss = infonce(x, y, hp["temperature"])
            loss.backward()
            diffs = {
                "loss": abs(loss.item() - out["total_loss"]) / max(abs(out["total_loss"]), 1e-300),
                "dx": rel(x.grad, out["grad_image_features"]),
                "dy": rel(y.grad, out["grad_text_features"]),
            }
            if kind != "infonce":
                after = out["state_after"]
                for k in st:
                    if isinstance(st[k], torch.Tensor):
                        ids = ii if k.endswith("_I") else it
                        want = dense(after[k], case["N"])[ids]
                        diffs[k] = rel(st[k][ids], want)
            bad = {k: v for k, v in diffs.items() if not v <= 1e-9}
            worst = max(worst, max(diffs.values()))
            if bad:
                print(f"{f.name}: {bad}")
                sys.exit(1)
    print(f"{len(files)} golden cases: the PyTorch step gives the authors' outputs (worst normwise relative difference {worst:.1e})")


def rel(a, b):
    b = torch.as_tensor(b, dtype=torch.float64)
    a = a.detach().to(torch.float64)
    den = b.norm().item()
    return (a - b).norm().item() / den if den > 0 else (a - b).norm().item()


# ---- the timing ----


def fresh_state(dtype):
    st = {k: torch.zeros(N, dtype=dtype) for k in ("s_I", "s_T", "b_I", "b_T", "z_I", "z_T")}
    full = torch.full((N,), ZETA_INIT, dtype=dtype)
    st.update(zeta_I=full, zeta_T=full.clone(), xi_I=0.0, xi_T=0.0)
    return st


def torch_time(family, xr, yr, reps, plain=False):
    """Median ms of `reps` PyTorch steps (two untimed first) on features
    `xr`, `yr` (their dtype), and the last step's `dx`. `plain`: the
    plain math instead of the reference's (SogCLR without its eps,
    InfoNCE without cross-entropy's cancellation)."""
    eps = 0.0 if plain else 1e-10
    hp = {"temperature": TAU, "gamma": GAMMA, "theta": THETA, "N": N, "vanilla": False, "eps": eps}
    b = xr.shape[0]
    ids = torch.arange(b)
    times, dx = [], None
    for k in range(reps + 2):
        x = xr.clone().requires_grad_(True)
        y = yr.clone().requires_grad_(True)
        st = fresh_state(xr.dtype)
        t0 = time.perf_counter()
        xn, yn = features(x, y, True)
        if family == "dpm":
            loss = dgcl(xn, yn, ids, ids, st, hp, ETA_I, ETA_T, True)
        elif family == "sogclr":
            loss = gcl(xn, yn, ids, ids, st, hp, 0)
        else:
            loss = (infonce_plain if plain else infonce)(xn, yn, TAU)
        loss.backward()
        t1 = time.perf_counter()
        if k >= 2:
            times.append((t1 - t0) * 1e3)
        dx = x.grad
    return statistics.median(times), dx


def run(args):
    torch.set_num_threads(1)
    out = pathlib.Path(args.dir)
    subprocess.run(["cargo", "bench", "--bench", "vs_pytorch", "--no-run"], cwd=ROOT, check=True, capture_output=True)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    flags = open("/proc/cpuinfo").read()
    isa = "AVX-512F" if " avx512f" in flags else ("AVX2" if " avx2" in flags else "SSE2")
    print(f"{cpu} ({isa}); B = {args.b}, d = {args.d}; medians of {args.reps}; torch {torch.__version__}, 1 thread")
    print("| features | family | PyTorch ms | crate engine | crate ms | ns/entry PyTorch / crate | PyTorch / crate | dx vs the plain math in f64: crate / PyTorch |")
    print("|---|---|---|---|---|---|---|---|")
    entries = args.b * args.b
    for sigma in args.sigmas.split(","):
        res = subprocess.run(
            ["cargo", "bench", "--bench", "vs_pytorch", "--", sigma, str(args.b), str(args.d), str(args.reps), str(out)],
            cwd=ROOT, check=True, capture_output=True, text=True,
        )
        crate = [l.split() for l in res.stdout.splitlines() if len(l.split()) == 4]
        raw = np.fromfile(out / "features.f32", dtype="<f4").reshape(2, args.b, args.d)
        xr, yr = torch.from_numpy(raw[0].copy()), torch.from_numpy(raw[1].copy())
        for family in ("dpm", "sogclr", "infonce"):
            ms_t, dx_t = torch_time(family, xr, yr, args.reps)
            _, plain_64 = torch_time(family, xr.double(), yr.double(), 1, plain=True)
            dx_c = torch.from_numpy(np.fromfile(out / f"dx_{family}.f32", dtype="<f4").reshape(args.b, args.d).copy())
            diffs = f"{rel(dx_c, plain_64):.1e} / {rel(dx_t, plain_64):.1e}"
            for fam, engine, ms, _loss in crate:
                if fam != family:
                    continue
                ms = float(ms)
                print(
                    f"| sigma {sigma} | {family} | {ms_t:.1f} | {engine} | {ms:.1f} | "
                    f"{ms_t * 1e6 / entries:.0f} / {ms * 1e6 / entries:.0f} | {ms_t / ms:.1f}x | {diffs} |"
                )
        sys.stdout.flush()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="replay tests/golden through the PyTorch step")
    p.add_argument("--b", type=int, default=1024)
    p.add_argument("--d", type=int, default=128)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--sigmas", default="100,1.0,0.3")
    p.add_argument("--dir", default=str(ROOT / "target" / "vs_pytorch"))
    args = p.parse_args()
    if args.check:
        check()
    else:
        run(args)


if __name__ == "__main__":
    main()
