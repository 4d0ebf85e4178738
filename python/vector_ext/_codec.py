"""Encoding and decoding of the vector type's text and binary forms.

Text form: ``[1,2.5,-3e-07]``, each element the shortest decimal string that
reads back as the same float4.

Binary form (network byte order): int16 dim, int16 unused (always 0), then
dim float4 values.

These functions know nothing about database connections; the psycopg
adapters in :mod:`vector_ext.psycopg` call them.
"""

from fractions import Fraction
import struct

import numpy as np

__all__ = [
    "BINARY_MAX_DIM",
    "as_vector_array",
    "decode_binary",
    "decode_text",
    "encode_binary",
    "encode_text",
]

# The binary header stores the dimension count in an int16.
BINARY_MAX_DIM = 32767

_HEADER = struct.Struct(">hh")
_BIG_ENDIAN_F4 = np.dtype(">f4")


def as_vector_array(obj):
    """Return ``obj`` as a 1-D float32 ndarray.

    float64 (and integer) arrays are rounded to float32.  Values too large
    for float32 become infinities, which the server rejects.
    """
    arr = np.asarray(obj)
    if arr.ndim != 1:
        raise ValueError(
            f"a vector must be a 1-D array, got an array of shape {arr.shape}"
        )
    if arr.dtype == np.float32:
        return arr
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"cannot convert an array of {arr.dtype} to a vector")
    with np.errstate(over="ignore"):
        return arr.astype(np.float32)


def _format_element(x):
    # Shortest representation that parses back to the same float32
    # (numpy's Dragon4 with unique=True).  Positional notation for the
    # usual magnitudes, scientific for the very small and very large.
    mag = abs(float(x))
    if mag == 0.0 or 1e-4 <= mag < 1e16:
        return np.format_float_positional(x, unique=True, trim="-")
    return np.format_float_scientific(x, unique=True, trim="-")


def encode_text(obj):
    """Text form of a vector, as bytes: ``b"[1,2,3]"``."""
    arr = as_vector_array(obj)
    return ("[" + ",".join(map(_format_element, arr)) + "]").encode("ascii")


def encode_binary(obj):
    """Binary (send/recv) form of a vector, as bytes."""
    arr = as_vector_array(obj)
    dim = arr.shape[0]
    if dim > BINARY_MAX_DIM:
        raise ValueError(
            f"cannot encode a vector of {dim} dimensions in the binary "
            f"format: its header holds at most {BINARY_MAX_DIM}"
        )
    return _HEADER.pack(dim, 0) + arr.astype(_BIG_ENDIAN_F4).tobytes()


def decode_binary(data):
    """Parse the binary form of a vector into a float32 ndarray."""
    if len(data) < _HEADER.size:
        raise ValueError("binary vector shorter than its 4-byte header")
    dim, unused = _HEADER.unpack_from(data)
    expected = _HEADER.size + 4 * dim
    if dim < 0 or len(data) != expected:
        raise ValueError(
            f"binary vector of {len(data)} bytes does not match its header "
            f"({dim} dimensions)"
        )
    if unused != 0:
        raise ValueError(f"binary vector has unused = {unused}, expected 0")
    raw = np.frombuffer(data, dtype=_BIG_ENDIAN_F4, count=dim, offset=_HEADER.size)
    return raw.astype(np.float32)


def decode_text(data):
    """Parse the text form of a vector into a float32 ndarray.

    Each element is rounded directly from its decimal value to float32 (not
    through an intermediate double rounding), so any decimal string maps to
    the float32 that strtof would return.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data).decode("ascii")
    text = data.strip()
    if len(text) < 2 or text[0] != "[" or text[-1] != "]":
        raise ValueError(f"malformed vector literal: {data!r}")
    body = text[1:-1].strip()
    if not body:
        return np.empty(0, dtype=np.float32)
    parts = body.split(",")
    return _decimal_to_float32(parts, np.array([float(p) for p in parts]))


def _decimal_to_float32(parts, doubles):
    """Round decimal strings (already parsed to doubles) to float32.

    Casting the double to float32 rounds twice.  That gives a wrong result
    only when the double lands exactly on the midpoint between two float32
    values while the decimal itself is not that midpoint: round-to-nearest
    cannot carry a value across a representable double, and every float32
    midpoint is representable as a double.  Those (rare) elements are
    settled with exact rational arithmetic.
    """
    with np.errstate(over="ignore"):
        return _round_to_float32(parts, doubles)


def _round_to_float32(parts, doubles):
    f = doubles.astype(np.float32)
    back = f.astype(np.float64)
    suspect = np.nonzero((back != doubles) & np.isfinite(doubles))[0]
    if suspect.size == 0:
        return f

    d = doubles[suspect]
    fs = f[suspect]
    # The float32 neighbours of d, as lo < d < hi.
    above = back[suspect] > d
    lo = np.where(above, np.nextafter(fs, np.float32(-np.inf)), fs)
    hi = np.where(above, fs, np.nextafter(fs, np.float32(np.inf)))
    # Past FLT_MAX the next "value" is 2**128 for rounding purposes.
    lo64 = np.where(np.isinf(lo), np.copysign(2.0**128, lo), lo.astype(np.float64))
    hi64 = np.where(np.isinf(hi), np.copysign(2.0**128, hi), hi.astype(np.float64))
    ties = np.nonzero(d == (lo64 + hi64) / 2)[0]
    for t in ties:
        i = suspect[t]
        exact = Fraction(parts[i].strip())
        mid = Fraction(float(d[t]))
        if exact < mid:
            f[i] = lo[t]
        elif exact > mid:
            f[i] = hi[t]
        # exact == mid: the cast already applied ties-to-even.
    return f
