"""Shared fixtures.

``data_dir``: the evaluation data home. When it is missing the test is skipped
with the reason, except under ``CI=true``, where missing data is a failure.
``client``: a Dask client on an in-process 2-worker cluster, one per test module
(modules that test 1 and 2 workers define their own).
"""

from __future__ import annotations

import os

import matplotlib
import pytest

matplotlib.use("Agg")


def _require(path, what):
    if path.is_dir():
        return path
    msg = f"{what} not found at {path} (set VQTOOLKIT_DATA)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {msg}")
    pytest.skip(msg)


@pytest.fixture(scope="session")
def data_dir():
    from vqtoolkit.datasets import data_home

    return _require(data_home(), "evaluation data")


@pytest.fixture(scope="session")
def require_data():
    """Call ``require_data('fsdd')`` to get ``data_dir / 'fsdd'`` or skip/fail."""
    from vqtoolkit.datasets import data_home

    def get(name):
        return _require(data_home() / name, f"data set {name!r}")

    return get


@pytest.fixture(scope="module")
def client():
    from distributed import Client

    from vqtoolkit.distributed import local_cluster

    cluster = local_cluster(n_workers=2, threads_per_worker=1, processes=False, dashboard=False)
    c = Client(cluster, set_as_default=True)
    yield c
    c.close()
    cluster.close()
