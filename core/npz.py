"""Reading an ``.npz`` archive of plain arrays without trusting it.

``np.load`` alone will wait for ever on a FIFO named ``.npz``, allocate whatever shape a
3 KB file's header claims, and inflate a small file to gigabytes. Here the path must be a
regular file, the archive's declared sizes must fit ``max_bytes``, and every array's header
must fit the bytes its member declares, all before any array is read; ``allow_pickle`` stays
False, so no file can run code.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import numpy as np

HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def read_npz(path: str | os.PathLike, max_bytes: int) -> dict[str, np.ndarray]:
    """Every array of an ``.npz``, by name.

    Raises OSError if the file cannot be read, ValueError if it is not a regular file, not an
    ``.npz`` of plain arrays, or larger than ``max_bytes`` inflated.
    """
    path = Path(path)
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise ValueError("not a regular file")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            declared = sum(m.file_size for m in members)
            if declared > max_bytes:
                raise ValueError(f"it inflates to {declared} bytes, over {max_bytes}")
            for member in members:
                with archive.open(member) as fh:
                    version = np.lib.format.read_magic(fh)
                    if version not in HEADER_READERS:
                        raise ValueError(f"{member.filename}: .npy format {version} unknown")
                    shape, _, dtype = HEADER_READERS[version](fh)
                if dtype.hasobject:
                    raise ValueError(f"{member.filename} holds Python objects")
                if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize > member.file_size:
                    raise ValueError(f"{member.filename}'s header claims more data than it holds")
    except zipfile.BadZipFile as exc:
        raise ValueError(f"not an .npz archive ({exc})") from exc
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}
