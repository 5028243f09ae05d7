"""Nothing half-written: every file kinviz writes appears whole or not at all.

    from kinviz.io.atomic import write_atomic
    write_atomic("filled.csv", text)   # str (UTF-8) or bytes

The data goes to a temporary file in the same folder, is flushed and fsynced, then renamed over the
destination with `os.replace` (atomic on POSIX and Windows within one file system). A reader sees the
old file or the new one; a crash or kill leaves at most a hidden `.NAME.<random>.part` file, which
`remove_leftovers(NAME)` clears (the CLI does, before it writes NAME).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

PART = ".part"  # the temporary file's suffix: .NAME.<random>.part beside NAME
TEST_KILL = "KINVIZ_TEST_KILL_WHILE_WRITING"  # tests only: "NAME" or "NAME:MARKER" (see _test_kill)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would give a new file; read once, as umask is per process


def write_atomic(path, data: str | bytes) -> Path:
    """Write `data` (str as UTF-8, or bytes) to `path` whole or not at all; returns the path.

    On any failure the temporary file is removed and the destination is as it was.
    """
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    tmp = path.parent / f".{path.name}.{os.urandom(6).hex()}{PART}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _MODE)
        with os.fdopen(fd, "wb") as f:
            if os.environ.get(TEST_KILL):
                _test_kill(f, raw, path.name)
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)
    return path


def remove_leftovers(path) -> list[Path]:
    """Delete the temporary files a killed `write_atomic` of `path` left behind; returns them."""
    path = Path(path)
    found = list(path.parent.glob(f".{_glob_escape(path.name)}.*{PART}")) if path.parent.is_dir() else []
    for p in found:
        p.unlink(missing_ok=True)
    return found


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _sync_folder(folder: Path) -> None:
    """fsync the folder, so the rename itself survives a power cut (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _test_kill(f, raw: bytes, name: str) -> None:
    """Tests only: SIGKILL this process half-way through writing `name`, as a crash would. With "NAME:MARKER",
    only while the file MARKER does not exist (it is created first): the retry in a fresh process succeeds."""
    target, _, marker = os.environ[TEST_KILL].partition(":")
    if target != name or (marker and os.path.exists(marker)):
        return
    if marker:
        Path(marker).touch()
    f.write(raw[: len(raw) // 2])
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)
