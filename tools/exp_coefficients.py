#!/usr/bin/env python3
"""Provenance of the polynomial and thresholds of src/lanes/exp.rs.

e^r ~ 1 + r q(r) on [-ln(2)/2, ln(2)/2].

- f32: q of degree 4 (a degree-5 polynomial in all, XNNPACK's "p5"), the
  minimax fit of the *relative* error of 1 + r q(r) against e^r (Lawson's
  iteratively reweighted least squares on 300 points, 150 rounds, 40
  digits), rounded to f32. A Chebyshev fit of (e^r - 1) / r has twice the
  relative error (2.05e-7).
- f64: q of degree 10, a Chebyshev fit (mpmath.chebyfit; near-minimax) of
  (e^r - 1) / r, leading coefficient set to exactly 1, rounded to f64.

The relative error of the rounded polynomial is measured on 20 001 points.
Run: python3 tools/exp_coefficients.py (needs mpmath; about 15 s). Output on
the machine the crate was written on:

    f32 deg q 4 (lawson): rel err exp (rounded coefs) 1.0195e-7
    f64 deg q 10 (chebyfit): rel err exp (rounded coefs) 9.7612e-18
"""
import struct

import mpmath as mp

mp.mp.dps = 60
H = mp.log(2) / 2


def g(r):
    if abs(r) < mp.mpf("1e-20"):
        return mp.mpf(1)
    return (mp.exp(r) - 1) / r


def f32(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def bits32(x):
    return hex(struct.unpack("I", struct.pack("f", x))[0])


def bits64(x):
    return hex(struct.unpack("Q", struct.pack("d", x))[0])


def lawson(deg, n=300, rounds=150):
    """Minimax of |(1 + r q(r)) / e^r - 1| over q of degree deg."""
    xs = [-H + 2 * H * (i + mp.mpf(0.5)) / n for i in range(n)]
    rows = [[x ** (k + 1) / mp.exp(x) for k in range(deg + 1)] for x in xs]
    rhs = [(mp.exp(x) - 1) / mp.exp(x) for x in xs]
    w = [mp.mpf(1) / n] * n
    for _ in range(rounds):
        a = mp.matrix(deg + 1, deg + 1)
        b = mp.matrix(deg + 1, 1)
        for i in range(n):
            for p in range(deg + 1):
                b[p] += w[i] * rows[i][p] * rhs[i]
                for q in range(deg + 1):
                    a[p, q] += w[i] * rows[i][p] * rows[i][q]
        c = mp.lu_solve(a, b)
        res = [abs(sum(rows[i][p] * c[p] for p in range(deg + 1)) - rhs[i]) for i in range(n)]
        total = sum(w[i] * res[i] for i in range(n))
        w = [w[i] * res[i] / total for i in range(n)]
    return [c[p] for p in range(deg + 1)]


def cheby(deg, rnd):
    poly = mp.chebyfit(g, [-H, H], deg + 1)
    return [1.0] + [rnd(v) for v in poly[::-1][1:]]  # lowest degree first


mp.mp.dps = 40
fits = [("f32", 4, "lawson", [f32(v) for v in lawson(4)]), ("f64", 10, "chebyfit", None)]
mp.mp.dps = 60
fits[1] = ("f64", 10, "chebyfit", cheby(10, float))
for name, deg, how, c in fits:
    worst = 0
    n = 20000
    for i in range(n + 1):
        r = -H + 2 * H * i / n
        q = mp.mpf(0)
        for v in reversed(c):
            q = q * r + mp.mpf(v)
        worst = max(worst, abs((1 + r * q) / mp.exp(r) - 1))
    print(f"{name} deg q {deg} ({how}): rel err exp (rounded coefs) {mp.nstr(worst, 5)}")
    for v in c:
        print("   ", repr(v), float(v).hex())

# Thresholds: the largest x with a finite result, the smallest with a
# nonzero one (round to nearest: e^x <= 2^-150 resp. 2^-1075 gives 0).
ln_max32 = mp.log((2 - mp.mpf(2) ** -23) * mp.mpf(2) ** 127)
ln_min32 = mp.log(mp.mpf(2) ** -150)
print("ln(f32::MAX)", ln_max32, "ln(2^-150)", ln_min32)
print("f32 MAX_X 88.72283172607422", bits32(88.72283172607422))
print("f32 MIN_X -103.97207641601562", bits32(-103.97207641601562))
ln_max64 = mp.log((2 - mp.mpf(2) ** -52) * mp.mpf(2) ** 1023)
ln_min64 = mp.log(mp.mpf(2) ** -1075)
print("ln(f64::MAX)", ln_max64, "ln(2^-1075)", ln_min64)
print("f64 MAX_X", repr(float(ln_max64)), bits64(float(ln_max64)))
print("f64 MIN_X -745.1332191019411", bits64(-745.1332191019411))
# fdlibm's Cody-Waite splits of ln 2.
hi32, lo32 = f32(6.9314575195e-01), f32(1.4286067653e-06)
print("f32 ln2_hi", bits32(hi32), "hi + lo - ln2", mp.nstr(mp.mpf(hi32) + mp.mpf(lo32) - mp.log(2), 5))
hi64, lo64 = 6.93147180369123816490e-01, 1.90821492927058770002e-10
print("f64 ln2_hi", bits64(hi64), "hi + lo - ln2", mp.nstr(mp.mpf(hi64) + mp.mpf(lo64) - mp.log(2), 5))
