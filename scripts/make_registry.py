"""Write ``vqtoolkit/datasets/registry.tsv.gz`` from the data folder's ``SOURCES.tsv``.

The registry is what :func:`vqtoolkit.datasets.fetch` downloads and checks: one
row per file with its place in the data home, size, SHA-256 and upstream
location (repository, commit, path in the repository). Run it again when the
data folder changes::

    python scripts/make_registry.py [PATH/TO/SOURCES.tsv]

The output is deterministic (sorted rows, gzip without a time stamp), so an
unchanged source gives a byte-identical file.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "vqtoolkit" / "datasets" / "registry.tsv.gz"
COLUMNS = ["dataset", "local_path", "bytes", "sha256", "repo", "commit", "repo_path"]


def read_sources(path: Path) -> list[dict]:
    """Rows of SOURCES.tsv, checked: 64-hex SHA-256, 40-hex commit, integer size, unique paths."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    missing = set(COLUMNS) - set(rows[0]) if rows else set(COLUMNS)
    if missing:
        raise SystemExit(f"{path}: columns {sorted(missing)} missing")
    seen = set()
    for n, r in enumerate(rows, 2):
        if not re.fullmatch(r"[0-9a-f]{64}", r["sha256"]) or not re.fullmatch(r"[0-9a-f]{40}", r["commit"]):
            raise SystemExit(f"{path}, line {n}: bad sha256 or commit")
        if not r["bytes"].isdigit() or r["local_path"] in seen:
            raise SystemExit(f"{path}, line {n}: bad size or repeated path {r['local_path']!r}")
        if not r["local_path"].startswith(r["dataset"] + "/"):
            raise SystemExit(f"{path}, line {n}: {r['local_path']!r} is not under {r['dataset']!r}")
        seen.add(r["local_path"])
    return sorted(rows, key=lambda r: r["local_path"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="?", default=str(ROOT.parent / "shared" / "data" / "SOURCES.tsv"))
    parser.add_argument("-o", "--output", default=str(OUT))
    args = parser.parse_args(argv)
    rows = read_sources(Path(args.sources))
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([r[c] for c in COLUMNS])
    data = gzip.compress(buf.getvalue().encode("utf-8"), compresslevel=9, mtime=0)
    Path(args.output).write_bytes(data)
    total = sum(int(r["bytes"]) for r in rows)
    print(f"{args.output}: {len(rows)} files, {total / 1e6:.1f} MB of data, {len(data):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
