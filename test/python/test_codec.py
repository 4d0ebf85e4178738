"""The text and binary codecs on their own (these tests need no server)."""

import decimal
from fractions import Fraction
import struct

import numpy as np
import pytest

from vector_ext import (
    as_vector_array,
    decode_binary,
    decode_text,
    encode_binary,
    encode_text,
)

FLT_MAX = np.finfo(np.float32).max
FLT_MIN = np.finfo(np.float32).tiny  # smallest normal
FLT_TRUE_MIN = np.float32(1e-45)  # smallest subnormal

EXTREMES = np.array(
    [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.1,
        FLT_MAX,
        -FLT_MAX,
        FLT_MIN,
        -FLT_MIN,
        FLT_TRUE_MIN,
        -FLT_TRUE_MIN,
        np.nextafter(FLT_MIN, np.float32(0)),  # largest subnormal
        np.float32(3e-39),
        np.float32(123456789),
        np.float32(1e16),
        np.float32(9.999999e-5),
        np.float32(1e-4),
    ],
    dtype=np.float32,
)


def bits(a):
    return np.asarray(a, dtype=np.float32).view(np.uint32)


def random_finite_float32(rng, n):
    """Random bit patterns: every exponent, subnormals, both zeros; no NaN/Inf."""
    raw = rng.integers(0, 2**32, size=n * 2, dtype=np.uint64).astype(np.uint32)
    values = raw.view(np.float32)
    return values[np.isfinite(values)][:n]


def exact_float32(x):
    """The float32 nearest to the rational x, ties to even (a reference)."""
    with np.errstate(over="ignore"):
        guess = np.float32(float(x))
        candidates = [
            np.nextafter(guess, np.float32(-np.inf)),
            guess,
            np.nextafter(guess, np.float32(np.inf)),
        ]

    def value(c):
        # For rounding, infinity sits where the next binade would start.
        return Fraction(float(c)) if np.isfinite(c) else (1 if c > 0 else -1) * 2**128

    def key(c):
        return (abs(value(c) - x), int(bits(c)) & 1)

    return min(candidates, key=key)


def test_text_format_is_compact_and_pgvector_like():
    v = np.array([1, -2.5, 0.1, -0.0, 1e-45, FLT_MAX, 1e-5, 123], dtype=np.float32)
    assert encode_text(v) == b"[1,-2.5,0.1,-0,1e-45,3.4028235e+38,1e-05,123]"


def test_text_elements_are_shortest():
    # A float32 never needs more than 9 significant digits, and 0.1f must
    # not print as the double 0.10000000149011612.
    rng = np.random.default_rng(1)
    values = random_finite_float32(rng, 5000)
    for element in encode_text(values)[1:-1].split(b","):
        mantissa = element.split(b"e")[0].lstrip(b"-").replace(b".", b"")
        assert len(mantissa.strip(b"0")) <= 9, element


def test_text_round_trip_is_bit_exact():
    rng = np.random.default_rng(2)
    values = np.concatenate([EXTREMES, random_finite_float32(rng, 200_000)])
    back = decode_text(encode_text(values))
    assert back.dtype == np.float32
    np.testing.assert_array_equal(bits(back), bits(values))


def test_decode_text_accepts_server_spelling():
    got = decode_text(b"[1,-0,1e-45,3.4028235e+38, 2.5 ,1.1754944e-38]")
    want = np.array([1, -0.0, 1e-45, FLT_MAX, 2.5, FLT_MIN], dtype=np.float32)
    np.testing.assert_array_equal(bits(got), bits(want))
    assert decode_text("[0.1]")[0] == np.float32(0.1)


def test_decode_text_rounds_decimals_like_strtof():
    # Random decimals of up to 12 significant digits over the whole range,
    # checked against exact rational rounding.
    rng = np.random.default_rng(3)
    parts = []
    for _ in range(3000):
        digits = int(rng.integers(1, 10**12))
        exponent = int(rng.integers(-60, 40))
        sign = "-" if rng.integers(2) else ""
        parts.append(f"{sign}{digits}e{exponent}")
    got = decode_text("[" + ",".join(parts) + "]")
    for text, value in zip(parts, got):
        want = exact_float32(Fraction(text))
        assert bits(value) == bits(want), text


def _midpoint_cases(rng, n):
    """Decimals a hair above and below float32 midpoints.

    Their nearest double IS the midpoint, so parsing to double and then
    casting to float32 rounds twice and lands on the even neighbour, which
    is wrong for half of them.
    """
    ctx = decimal.Context(prec=2000, Emin=-9999, Emax=9999)
    values = random_finite_float32(rng, n)
    values = values[np.abs(values) < FLT_MAX]
    cases = []
    for v in values:
        nxt = np.nextafter(v, np.float32(np.inf) if v >= 0 else np.float32(-np.inf))
        mid = (float(v) + float(nxt)) / 2  # exact in double
        exact = decimal.Decimal(mid)  # exact decimal of the binary value
        tiny = decimal.Decimal(1).scaleb(exact.as_tuple().exponent - 5, ctx)
        low, high = sorted([v, nxt], key=float)
        cases.append((format(ctx.add(exact, tiny), "f"), high))
        cases.append((format(ctx.subtract(exact, tiny), "f"), low))
    return cases


def test_decode_text_settles_double_rounding_ties_exactly():
    rng = np.random.default_rng(4)
    cases = _midpoint_cases(rng, 300)
    texts = [t for t, _ in cases]
    want = np.array([w for _, w in cases], dtype=np.float32)
    got = decode_text("[" + ",".join(texts) + "]")
    np.testing.assert_array_equal(bits(got), bits(want))
    # The cases really are the hard ones: the naive conversion fails on some.
    naive = np.array([float(t) for t in texts]).astype(np.float32)
    assert (bits(naive) != bits(want)).sum() > len(cases) // 4


def test_decode_text_tie_below_flt_max_overflow_boundary():
    # Halfway between FLT_MAX and 2**128: exactly there rounds to infinity
    # (ties to even), a hair below must give FLT_MAX.
    mid = (int(FLT_MAX) + 2**128) // 2
    got = decode_text(f"[{mid}.5,{mid},{mid}.0000001,{mid - 1}.9999999]")
    assert bits(got).tolist() == [bits(np.float32(np.inf))] * 3 + [bits(FLT_MAX)]


def test_binary_layout():
    v = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    assert encode_binary(v) == struct.pack(">hhfff", 3, 0, 1.0, -2.0, 0.5)
    np.testing.assert_array_equal(decode_binary(encode_binary(v)), v)


def test_binary_round_trip_is_bit_exact_and_native():
    rng = np.random.default_rng(5)
    values = np.concatenate([EXTREMES, random_finite_float32(rng, 16000 - len(EXTREMES))])
    back = decode_binary(memoryview(encode_binary(values)))
    assert back.dtype == np.float32 and back.dtype.isnative
    np.testing.assert_array_equal(bits(back), bits(values))


@pytest.mark.parametrize(
    "payload",
    [
        b"\x00",  # shorter than the header
        struct.pack(">hh", 2, 0) + struct.pack(">f", 1.0),  # one element missing
        struct.pack(">hhf", 1, 0, 1.0) + b"\x00",  # a trailing byte
        struct.pack(">hh", -1, 0),  # negative dimension count
        struct.pack(">hhf", 1, 7, 1.0),  # unused not 0
    ],
)
def test_decode_binary_rejects_malformed(payload):
    with pytest.raises(ValueError):
        decode_binary(payload)


@pytest.mark.parametrize("text", ["", "1,2", "[1,2", "1,2]", "[1,x]"])
def test_decode_text_rejects_malformed(text):
    with pytest.raises(ValueError):
        decode_text(text)


def test_float64_and_int_inputs_become_float32():
    f64 = np.array([0.1, 1 / 3, 1e-300, 2.0**-149], dtype=np.float64)
    got = decode_binary(encode_binary(f64))
    np.testing.assert_array_equal(bits(got), bits(f64.astype(np.float32)))
    assert decode_text(encode_text(f64))[1] == np.float32(1 / 3)
    ints = np.array([1, -7, 2**24 + 1], dtype=np.int64)
    np.testing.assert_array_equal(decode_binary(encode_binary(ints)), [1, -7, 2**24])


def test_out_of_range_float64_becomes_infinity_for_the_server_to_reject():
    assert np.isinf(as_vector_array(np.array([1e39]))[0])


def test_rejects_non_vectors():
    with pytest.raises(ValueError, match="1-D"):
        encode_binary(np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="1-D"):
        encode_text(np.float32(1.0))
    with pytest.raises(TypeError):
        encode_text(np.array([1 + 2j]))
    with pytest.raises(ValueError, match="32767"):
        encode_binary(np.zeros(32768, dtype=np.float32))
