"""Atomic writes of generated files under ``PRIVATE_MEDIA_ROOT``.

A file is written to a temporary file in its destination folder, flushed to disk, then renamed into place
(``os.replace`` is atomic on one file system): a reader never sees half a file, and two renders of one
document (a redelivered message) each replace the whole file. Same approach as
:func:`portal.documents.rendering.atomic_write` for PDFs, without importing WeasyPrint.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_write(target: Path):
    """Yield a temporary path next to ``target``; on success rename it to ``target``, else delete it."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomically(target: Path, data: bytes) -> int:
    """Write ``data`` to ``target`` atomically. Returns the size written, in bytes."""
    with atomic_write(target) as tmp:
        tmp.write_bytes(data)
    return len(data)
