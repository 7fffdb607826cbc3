"""The Arrow data behind a pandas text column, for the few places that read it directly.

pandas keeps a ``str`` column in pyarrow: one array (a long CSV column: several chunks) of UTF-8
bytes end to end, with an offset per cell. Reading those bytes with numpy answers "does any cell
hold this byte?" for a whole column at once, which no per-cell pattern matches in speed. Two
things make that easy to get wrong, and are done once here: a slice of a column shares its
parent's data (only the offsets tell which bytes are its own), and offsets are 32 or 64 bits
wide by the array's type.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["TextBytes", "stored_text", "text_bytes"]


class TextBytes(NamedTuple):
    """The UTF-8 bytes of an array's own cells (``data``, uint8) and where each cell starts
    and ends in them (``offsets``: one more than the cells, from 0)."""

    data: np.ndarray
    offsets: np.ndarray


def stored_text(cells: pd.Series) -> pa.Array | pa.ChunkedArray | None:
    """The Arrow array behind a ``str`` column (nothing copied); ``None`` when pandas keeps the
    column otherwise (an ``object`` column, or strings stored by Python)."""
    if isinstance(cells.dtype, pd.StringDtype) and cells.dtype.storage == "pyarrow":
        return pa.array(cells.array)
    return None


def text_bytes(array: pa.Array) -> TextBytes | None:
    """The bytes of ``array``'s own cells; ``None`` unless it is a ``string`` or
    ``large_string`` array (one chunk: see :attr:`pyarrow.ChunkedArray.chunks`)."""
    if pa.types.is_large_string(array.type):
        width: type[np.integer] = np.int64
    elif pa.types.is_string(array.type):
        width = np.int32
    else:
        return None
    _validity, offsets_buffer, data_buffer = array.buffers()
    if offsets_buffer is None:  # an empty array may have no buffers at all
        return TextBytes(np.empty(0, np.uint8), np.zeros(1, np.int64))
    cells = slice(array.offset, array.offset + len(array) + 1)
    offsets = np.frombuffer(offsets_buffer, dtype=width)[cells]
    first, last = int(offsets[0]), int(offsets[-1])
    data = np.empty(0, np.uint8)
    if data_buffer is not None and last > first:
        data = np.frombuffer(data_buffer, dtype=np.uint8)[first:last]
    return TextBytes(data, offsets.astype(np.int64) - first)
