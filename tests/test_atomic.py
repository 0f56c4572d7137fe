"""Files are written whole or not at all, by any number of writers at once."""

import os
import threading

import pytest

from core.atomic import FILE_MODE, atomic_write


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "dance.npz"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(path) as fh:
        fh.write(b"half a new fi")
        raise RuntimeError("disk full")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dance.npz"]


def test_concurrent_writers_of_one_path_each_leave_a_whole_file(tmp_path):
    path = tmp_path / "library.npz"
    bodies = [bytes([i]) * 200_000 for i in range(8)]
    errors = []

    def write(body: bytes) -> None:
        try:
            for _ in range(20):
                with atomic_write(path) as fh:
                    fh.write(body[:100_000])
                    fh.write(body[100_000:])
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert path.read_bytes() in bodies
    assert [p.name for p in tmp_path.iterdir()] == ["library.npz"]


def test_a_written_file_has_the_permissions_open_would_give(tmp_path):
    with atomic_write(tmp_path / "a.bvh") as fh:
        fh.write(b"x")
    assert os.stat(tmp_path / "a.bvh").st_mode & 0o777 == FILE_MODE
