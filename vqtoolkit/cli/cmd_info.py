"""``vqtoolkit info``: what a vqtoolkit file holds (kind, versions, parameters, shapes, features)."""

from __future__ import annotations

import argparse

__all__ = ["register", "run", "describe"]

_HELP = """\
Print what a file written by vqtoolkit holds: its kind (codebook, matcher,
featureset …), format and library versions, parameters, array shapes, classes
and feature settings. JSON on stdout.

examples:
  vqtoolkit info speakers.npz
  vqtoolkit info out/s1_codebook.npz --arrays
"""


def register(subparsers) -> None:
    """Add the ``info`` sub-command."""
    p = subparsers.add_parser(
        "info", help="what a codebook, matcher or other vqtoolkit file holds",
        description=_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="a .npz file written by vqtoolkit")
    p.add_argument("--arrays", action="store_true", help="list every stored array with its shape")
    p.add_argument("-o", "--output", default=None, help="write here instead of stdout")
    p.set_defaults(func=run)


def describe(meta: dict, arrays: dict, *, with_arrays: bool = False) -> dict:
    """A JSON-ready summary of an archive's metadata and arrays."""
    kind = meta.get("kind")
    out = {
        "kind": kind,
        "format_version": meta.get("format_version"),
        "vqtoolkit_version": meta.get("vqtoolkit_version"),
    }
    if "params" in meta:
        out["params"] = meta["params"]
    for key in ("n_features_in", "n_classes", "distortion", "n_iter", "label_names"):
        if key in meta:
            out[key] = meta[key]
    if kind == "codebook":
        out["codebook_shape"] = list(arrays["codebook"].shape) if "codebook" in arrays else None
    if kind == "matcher":
        classes = arrays.get("classes")
        out["classes"] = [] if classes is None else classes.tolist()
        out["codebook_shapes"] = [
            list(arrays[f"codebook{j}.codebook"].shape)
            for j in range(len(meta.get("codebooks", [])))
            if f"codebook{j}.codebook" in arrays
        ]
    if kind == "featureset" and "X" in arrays:
        out["frames"] = list(arrays["X"].shape)
        out["n_utterances"] = int(arrays["start"].shape[0]) if "start" in arrays else None
    if meta.get("whitener"):
        out["whitening"] = meta["whitener"]
    out["features"] = meta.get("features")
    if with_arrays:
        out["arrays"] = {k: {"shape": list(v.shape), "dtype": str(v.dtype)}
                         for k, v in arrays.items()}
    return out


def run(args) -> int:
    """Run ``info``."""
    from ..io import read_archive
    from .cmd_train import emit

    meta, arrays = read_archive(args.file)
    doc = {"file": str(args.file), **describe(meta, arrays, with_arrays=args.arrays)}
    emit([], fmt="json", output=args.output, document=doc)
    return 0
