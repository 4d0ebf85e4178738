"""Python client support for vector_ext, the pgvector-compatible extension.

``register_vector(conn)`` (psycopg 3) makes 1-D numpy arrays travel as the
``vector`` type and ``vector`` results come back as float32 ndarrays, in the
text and the binary formats.  The codec functions work without a database.
"""

from ._codec import (
    BINARY_MAX_DIM,
    as_vector_array,
    decode_binary,
    decode_text,
    encode_binary,
    encode_text,
)
from .psycopg import fetch_vector_info, register_vector, register_vector_async

__all__ = [
    "BINARY_MAX_DIM",
    "as_vector_array",
    "decode_binary",
    "decode_text",
    "encode_binary",
    "encode_text",
    "fetch_vector_info",
    "register_vector",
    "register_vector_async",
]
