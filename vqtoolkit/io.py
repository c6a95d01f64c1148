"""Saved files: ``.npz`` archives read without pickle, with JSON metadata.

Every file vqtoolkit writes is a NumPy ``.npz`` archive holding plain numeric
arrays plus one array ``__meta__`` with a JSON document::

    {"format": "vqtoolkit", "format_version": 1, "kind": "codebook",
     "vqtoolkit_version": "0.1.0", ...kind-specific fields...}

Files are read with ``allow_pickle=False`` and written atomically: the archive
is written to a temporary file in the destination folder, flushed to disk and
renamed over the destination, so a crash never leaves a half-written file.

Every class that writes a file follows one protocol: ``_to_state()`` returns
``(meta, arrays)`` (``meta`` holds the ``kind``), ``save(path)`` is
``write_archive(path, *self._to_state())``, and the classmethod
``_from_state(meta, arrays, path)`` rebuilds the object (``path`` names the
file in errors). ``load(path)`` reads the ``kind`` and hands the file to the
``_from_state`` of the class registered for it (``Codebook``, ``Matcher``,
``DocumentClusterer``, ``FeatureSet``).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from ._version import __version__
from .errors import FileFormatError

__all__ = ["FORMAT_VERSION", "load", "write_archive", "read_archive", "atomic_write", "json_params",
           "nest_state", "nested_arrays"]

FORMAT_VERSION = 2  # 2: SHA-256 checksums of the metadata and of every array
_META_KEY = "__meta__"
_SUM_KEY = "__sha256__"

# kind -> "module:Class"; the class provides ``_from_state(meta, arrays, path)``
_KINDS = {
    "codebook": "vqtoolkit.codebook:Codebook",
    "matcher": "vqtoolkit.matcher:Matcher",
    "ubm_matcher": "vqtoolkit.ubm:UBMMatcher",
    "stream_matcher": "vqtoolkit.streams:StreamMatcher",
    "document_clusterer": "vqtoolkit.documents:DocumentClusterer",
    "featureset": "vqtoolkit.features.featureset:FeatureSet",
}


def load(path):
    """Load any file written by vqtoolkit's ``save`` methods.

    Parameters
    ----------
    path : str or path-like
        A ``.npz`` file written by ``Codebook.save``, ``Matcher.save`` ….

    Returns
    -------
    object
        A fitted estimator (or a FeatureSet) of the kind recorded in the file.

    Raises
    ------
    FileFormatError
        The file is corrupt, not a vqtoolkit file, or of a newer format version.
    """
    meta, arrays = read_archive(path)
    kind = meta.get("kind")
    target = _KINDS.get(kind)
    if target is None:
        raise FileFormatError(
            f"{path}: unknown kind {kind!r}; this version reads {sorted(_KINDS)}"
        )
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)._from_state(meta, arrays, path)


def write_archive(path, meta: dict, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` and the JSON ``meta`` to ``path`` atomically.

    Parameters
    ----------
    path : str or path-like
        Destination; ``.npz`` is appended when missing.
    meta : dict
        JSON-serialisable metadata; ``kind`` is required. Format fields are added.
    arrays : dict of str to ndarray
        Numeric (or fixed-width unicode) arrays; object arrays are refused.

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    if "kind" not in meta:
        raise ValueError("meta needs a 'kind'")
    full = {
        "format": "vqtoolkit",
        "format_version": FORMAT_VERSION,
        "vqtoolkit_version": __version__,
        **meta,
    }
    payload = {}
    for key, value in arrays.items():
        arr = np.asarray(value)
        if arr.dtype == object:
            raise ValueError(f"array {key!r} has dtype object, which cannot be saved without pickle")
        payload[key] = arr
    text = json.dumps(full, default=_json_default)
    payload[_META_KEY] = np.array(text)
    sums = {"__meta__": _sha256_text(text)}
    sums.update({key: _sha256_array(arr) for key, arr in payload.items() if key != _META_KEY})
    payload[_SUM_KEY] = np.array(json.dumps(sums, sort_keys=True))
    atomic_write(path, lambda fh: _write_npz(fh, payload))
    return path


def _sha256_text(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sha256_array(arr):
    """SHA-256 of an array's dtype, shape and bytes (C order)."""
    h = hashlib.sha256(f"{arr.dtype.str}|{arr.shape}|".encode())
    h.update(np.ascontiguousarray(arr).data if arr.size else b"")
    return h.hexdigest()


def _write_npz(fh, payload):
    # like np.savez, without its reserved keyword names ("file") and never pickling
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, arr in payload.items():
            with zf.open(f"{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(arr), allow_pickle=False)


def read_archive(path) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a vqtoolkit archive; return ``(meta, arrays)``.

    Raises
    ------
    FileFormatError
        With the file name, when the file cannot be read or is of a newer format.
    FileNotFoundError
        When the file does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise FileFormatError(f"{path}: damaged or not a vqtoolkit file (not a readable .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:  # noqa: BLE001 - zipfile / zlib / numpy raise many kinds on damage
        raise FileFormatError(
            f"{path}: damaged or not a vqtoolkit file ({type(exc).__name__}: {_short(exc)})"
        ) from None
    if _META_KEY not in arrays:
        raise FileFormatError(f"{path}: not a vqtoolkit file (no metadata)")
    try:
        text = str(arrays.pop(_META_KEY))
        meta = json.loads(text)
    except (json.JSONDecodeError, UnicodeError, ValueError) as exc:
        raise FileFormatError(f"{path}: damaged metadata ({_short(exc)})") from None
    if not isinstance(meta, dict) or meta.get("format") != "vqtoolkit":
        raise FileFormatError(f"{path}: not a vqtoolkit file")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FileFormatError(
            f"{path}: format_version {version!r} is not a positive integer; the file is damaged"
        )
    if version > FORMAT_VERSION:
        raise FileFormatError(
            f"{path}: format version {version} is newer than this vqtoolkit "
            f"({__version__}) reads (up to {FORMAT_VERSION}); upgrade vqtoolkit"
        )
    if version >= 2:
        _verify(path, text, arrays)
    else:
        arrays.pop(_SUM_KEY, None)
    return meta, arrays


def _verify(path, text, arrays):
    """Check the SHA-256 of the metadata and of every array (format version 2 and later)."""
    if _SUM_KEY not in arrays:
        raise FileFormatError(f"{path}: damaged file (its checksums are missing)")
    try:
        sums = json.loads(str(arrays.pop(_SUM_KEY)))
    except (json.JSONDecodeError, UnicodeError, ValueError):
        raise FileFormatError(f"{path}: damaged file (its checksums are unreadable)") from None
    if not isinstance(sums, dict) or set(sums) != set(arrays) | {"__meta__"}:
        raise FileFormatError(f"{path}: damaged file (arrays and checksums do not match)")
    if sums["__meta__"] != _sha256_text(text):
        raise FileFormatError(f"{path}: damaged or modified file (metadata checksum mismatch)")
    for key, arr in arrays.items():
        if sums[key] != _sha256_array(arr):
            raise FileFormatError(
                f"{path}: damaged or modified file (checksum mismatch in array {key!r})"
            )


def _short(exc, limit=120):
    """An exception's message, printable and short (damaged names may hold binary)."""
    text = str(exc).encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[:limit] + "…"


def atomic_write(path, write) -> None:
    """Call ``write(fileobj)`` on a temporary file, then rename it to ``path``.

    The temporary file lives in the destination folder so the rename is atomic;
    on any error it is removed and the destination is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path)
    # the writer's pid in the name: a later write removes temps of writers that died (kill -9)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                               dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _remove_stale_temps(path):
    """Delete ``.NAME.<pid>.*.tmp`` files beside ``path`` whose writing process is gone."""
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        parts = tmp.name[len(path.name) + 2:].split(".")
        if not parts or not parts[0].isdigit():
            continue
        pid = int(parts[0])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except (PermissionError, OSError):
            continue  # alive (another user's) or unknown: keep it


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def nest_state(arrays: dict, prefix: str, obj) -> dict:
    """Store a part's state inside its owner's: arrays under ``prefix``, meta returned.

    Parameters
    ----------
    arrays : dict of str to ndarray
        The owner's arrays; ``obj``'s arrays are added to it as ``prefix + name``.
    prefix : str
        For example ``"whitener."`` or ``"codebook3."``.
    obj : object with ``_to_state()``

    Returns
    -------
    dict
        ``obj``'s metadata, for the owner's metadata.
    """
    meta, sub = obj._to_state()
    arrays.update({f"{prefix}{k}": v for k, v in sub.items()})
    return meta


def nested_arrays(arrays: dict, prefix: str) -> dict:
    """The arrays :func:`nest_state` stored under ``prefix``, with the prefix removed."""
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def json_params(params: dict) -> dict:
    """An estimator's ``get_params()`` as JSON values (arrays as lists, objects by name).

    Parameters
    ----------
    params : dict

    Returns
    -------
    dict
        Arrays become lists; a Whitener ``{"method", "eps"}``; a metric space
        object its name; a RandomState None.
    """
    out = {}
    for key, value in params.items():
        if isinstance(value, np.ndarray):
            out[key] = value.tolist()
        elif hasattr(value, "inverse_transform") and hasattr(value, "method"):  # a Whitener
            out[key] = {"method": value.method, "eps": value.eps}
        elif isinstance(value, (np.integer, np.floating)):
            out[key] = value.item()
        elif isinstance(value, np.random.RandomState):
            out[key] = None
        elif hasattr(value, "assign_metric"):  # a metric space object: its name
            out[key] = value.name
        else:
            out[key] = value
    return out
