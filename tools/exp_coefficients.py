#!/usr/bin/env python3
"""Provenance of the polynomial and thresholds of src/simd/exp.rs.

e^r ~ 1 + r + r^2 q(r) on [-ln(2)/2, ln(2)/2]: q is a Chebyshev fit
(mpmath.chebyfit, 60 digits; near-minimax) of (e^r - 1 - r) / r^2, of
degree 4 for f32 and 9 for f64. The coefficients are rounded to the element
type and the relative error of the rounded polynomial is measured on 20 001
points in 60-digit arithmetic. Run: python3 tools/exp_coefficients.py
(needs mpmath). Output on the machine the crate was written on:

    f32 deg q 4: rel err exp (rounded coefs) 9.7126e-9
    f64 deg q 9: rel err exp (rounded coefs) 1.5975e-17
"""
import struct

import mpmath as mp

mp.mp.dps = 60
H = mp.log(2) / 2


def g(r):
    if abs(r) < mp.mpf("1e-20"):
        return mp.mpf(1) / 2
    return (mp.exp(r) - 1 - r) / r**2


def f32(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def bits32(x):
    return hex(struct.unpack("I", struct.pack("f", x))[0])


def bits64(x):
    return hex(struct.unpack("Q", struct.pack("d", x))[0])


for name, deg, rnd in [("f32", 4, f32), ("f64", 9, float)]:
    poly = mp.chebyfit(g, [-H, H], deg + 1)
    c = [rnd(v) for v in poly[::-1]]  # lowest degree first
    worst = 0
    n = 20000
    for i in range(n + 1):
        r = -H + 2 * H * i / n
        q = mp.mpf(0)
        for v in reversed(c):
            q = q * r + mp.mpf(v)
        worst = max(worst, abs((1 + r + r * r * q) / mp.exp(r) - 1))
    print(f"{name} deg q {deg}: rel err exp (rounded coefs) {mp.nstr(worst, 5)}")
    for v in c:
        print("   ", repr(v))

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
