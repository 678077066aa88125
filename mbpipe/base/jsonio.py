"""Reading and writing the pipeline's JSON files, each one whole or not at all."""

from __future__ import annotations

import ctypes
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_text_atomic(path: str | os.PathLike, text: str, durable: bool = True) -> None:
    """Write *text* to *path* through a temporary file in the same folder and a rename.

    A reader (or a rerun after a crash) sees either the old file, no file, or the whole new one.
    *durable* flushes the file to disk before the rename; a caller that writes many files may leave
    it off and flush them all at once with ``sync_filesystem`` before writing the file that vouches
    for them.  The file gets the permissions the umask allows, as files other tools write do (a
    temporary file is private to its owner), so a research group can read each other's results.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        if err.filename is None:  # a failed write or flush names no file: name the one being written
            raise OSError(err.errno, err.strerror, str(path)) from err
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def sync_filesystem(folder: str | os.PathLike) -> None:
    """Flush what was written to the file system holding *folder* (Linux's syncfs): one flush for
    thousands of files instead of one each, and no other file system of the host touched.  Where
    syncfs is missing, every file system is flushed."""
    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (AttributeError, OSError):
        os.sync()
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            raise OSError(ctypes.get_errno(), f"syncfs of {folder} failed")
    finally:
        os.close(fd)


def write_json_atomic(path: str | os.PathLike, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def write_model_atomic(path: str | os.PathLike, model) -> None:
    """Write a pydantic (QCSchema) model as JSON, whole or not at all."""
    write_text_atomic(path, model.model_dump_json(indent=1) + "\n")


def write_text_if_changed(path: str | os.PathLike, text: str, durable: bool = True) -> bool:
    """Write *text* only when the file's content differs, so its modification time (which
    Snakemake compares) moves only when the content does. Returns whether it wrote."""
    path = Path(path)
    if path.exists() and path.read_text() == text:
        return False
    write_text_atomic(path, text, durable)
    return True


def read_json(path: str | os.PathLike) -> Any:
    with open(path) as handle:
        return json.load(handle)
