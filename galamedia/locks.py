"""One run at a time per file: an exclusive lock on `<path>.lock` that names its holder."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO


class BusyError(RuntimeError):
    """Another run holds the file: `str()` is one line naming the file and the holder."""


def lock_path(path: Path) -> Path:
    return Path(f"{path}.lock")


class Lock:
    """Held from `acquire` to `release` (or the end of the process, even by SIGKILL: the
    kernel releases it). The lock file names the holder's pid and is removed on release."""

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle = handle

    @classmethod
    def acquire(cls, path: Path, error: type[BusyError] = BusyError) -> Lock:
        lock = lock_path(path)
        while True:
            handle = _locked(lock, "a+", path, error)
            # The file may have been removed by its last holder between our open and our lock:
            # then we hold a lock nobody else can see. Take the one at the path instead.
            if lock.exists() and os.stat(lock).st_ino == os.fstat(handle.fileno()).st_ino:
                break
            handle.close()
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        return cls(lock, handle)

    def release(self) -> None:
        if self._handle.closed:
            return
        self.path.unlink(missing_ok=True)  # before unlocking: the next holder makes a new one
        self._handle.close()


def ensure_free(path: Path, error: type[BusyError] = BusyError) -> None:
    """Raise `error` if another run holds `path`; creates nothing (a bad command line leaves
    no trace)."""
    lock = lock_path(path)
    if lock.exists():
        _locked(lock, "r", path, error).close()


def _locked(lock: Path, mode: str, path: Path, error: type[BusyError]) -> IO[str]:
    handle = lock.open(mode, encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise error(f"{path} is in use by another run ({holder})") from None
    return handle
