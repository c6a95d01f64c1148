"""``vqtoolkit datasets``: the data sets vqtoolkit can fetch (size, licence, source) and where they are."""

from __future__ import annotations

import argparse

__all__ = ["register", "run", "listing"]

_HELP = """\
List the data sets `vqtoolkit fetch` can download: files, size, licence, source,
and whether they are present (complete, partial or missing) in the folders the
loaders look in ($VQTOOLKIT_DATA, ../shared/data, the user cache folder), or in
DIR with --data-home. Presence is judged by file names and sizes; `vqtoolkit
fetch NAME` verifies every SHA-256.

examples:
  vqtoolkit datasets
  vqtoolkit datasets --format json
"""


def register(subparsers) -> None:
    """Add the ``datasets`` sub-command."""
    from . import EXIT_CODES_HELP

    p = subparsers.add_parser(
        "datasets", help="list the data sets: size, licence, source, present or not",
        description=_HELP, epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data-home", default=None, metavar="DIR", help="look only in DIR")
    p.add_argument("--format", default="text", choices=["text", "json"], help="text (default) or json")
    p.set_defaults(func=run)


def listing(data_home=None) -> tuple[list[dict], str]:
    """One JSON-ready dict per data set (name, title, files, bytes, licence, source, upstream,
    status, location) and the folder ``fetch`` downloads into."""
    from ..datasets import dataset_names, describe, download_home, status

    rows = []
    for name in dataset_names():
        info, st = describe(name), status(name, data_home=data_home)
        state = "complete" if st.complete else ("partial" if st.n_present else "missing")
        rows.append({
            "name": name, "title": info.title, "n_files": info.n_files, "bytes": info.size,
            "licence": info.licence, "source": info.source, "upstream": list(info.upstream),
            "status": state, "n_present": st.n_present,
            "location": str(st.home / name) if st.home is not None else None,
        })
    return rows, str(download_home(data_home))


def _source() -> str:
    from ..datasets._fetch import MIRROR_ENV, mirror_url

    base = mirror_url()
    return f"the mirror {MIRROR_ENV}={base}" if base else "upstream (GitHub, pinned commits)"


def run(args) -> int:
    """Run ``datasets``."""
    from .cmd_train import emit

    rows, target = listing(args.data_home)
    if args.format == "json":
        emit([], fmt="json", output=None,
             document={"download_home": target, "mirror": _mirror(), "datasets": rows})
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        state = r["status"] if r["status"] != "partial" else f"partial ({r['n_present']:,} files)"
        where = f" in {r['location']}" if r["location"] and r["status"] != "missing" else ""
        print(f"{r['name']:<{width}}  {r['n_files']:>5,} files {_size(r['bytes']):>8}  "
              f"{state}{where}")
        print(f"{'':<{width}}  {r['title']}")
        print(f"{'':<{width}}  licence: {r['licence']}; source: {r['source']}")
    print(f"\n`vqtoolkit fetch NAME` downloads into {target} from {_source()}")
    return 0


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def _mirror():
    from ..datasets._fetch import mirror_url

    return mirror_url()
