"""Which Dask cluster the distributed engine talks to."""

from __future__ import annotations

import atexit

from ..errors import ParameterError

__all__ = ["get_client", "local_cluster"]

_OWNED = []  # (client, cluster) started here; closed at exit


def local_cluster(*, n_workers=2, threads_per_worker=1, processes=False, dashboard=True, **kwargs):
    """Start a Dask ``LocalCluster`` that listens on 127.0.0.1 only.

    The dashboards (scheduler and workers) listen on the loopback interface
    on free ports; worker processes talk to the scheduler over loopback TCP,
    worker threads (``processes=False``) in-process without any socket. Nothing
    is reachable from another machine.

    Parameters
    ----------
    n_workers : int, default=2
    threads_per_worker : int, default=1
        The kernels are single-threaded per task; Dask runs tasks in parallel.
    processes : bool, default=False
        Worker processes (``True``) or threads in this process (``False``,
        faster to start; the kernels release the GIL).
    dashboard : bool, default=True
        Serve the dashboards (on 127.0.0.1, random ports; needs ``bokeh``).
    **kwargs
        Passed to :class:`distributed.LocalCluster`; ``host``,
        ``dashboard_address`` and ``worker_dashboard_address`` cannot be set.

    Returns
    -------
    distributed.LocalCluster
    """
    from distributed import LocalCluster

    fixed = {"host", "ip", "dashboard_address", "worker_dashboard_address"} & set(kwargs)
    if fixed:
        raise ParameterError(
            f"local_cluster binds to 127.0.0.1 only; {sorted(fixed)} cannot be set "
            "(start distributed.LocalCluster yourself for other addresses)"
        )
    address = "127.0.0.1:0" if dashboard else None
    # threads in this process talk in-process (no socket at all); processes over loopback TCP
    where = {"protocol": "tcp://", "host": "127.0.0.1"} if processes else {"protocol": "inproc://"}
    return LocalCluster(
        n_workers=n_workers, threads_per_worker=threads_per_worker, processes=processes,
        dashboard_address=address, worker_dashboard_address=address, **where, **kwargs,
    )


def get_client(address=None, **cluster_kwargs):
    """The Dask client the distributed engine uses.

    Parameters
    ----------
    address : str or distributed.Client or cluster, optional
        A scheduler address (``"tcp://10.0.0.5:8786"``) or an existing client
        or cluster object selects a real cluster, and the client becomes the
        default one. Without it the current default client is used, and when
        there is none a :func:`local_cluster` is started (kept for the rest
        of the process).
    **cluster_kwargs
        Passed to :func:`local_cluster` when one is started.

    Returns
    -------
    distributed.Client
    """
    from distributed import Client, default_client

    if isinstance(address, Client):
        return address
    if address is not None:
        if not isinstance(address, str) and not hasattr(address, "scheduler_address"):
            raise ParameterError(
                f"address={address!r} must be a scheduler address string, a Client or a cluster"
            )
        return Client(address, set_as_default=True)
    try:
        return default_client()
    except ValueError:
        pass
    cluster = local_cluster(**cluster_kwargs)
    client = Client(cluster, set_as_default=True)
    if not _OWNED:
        atexit.register(_close_owned)
    _OWNED.append((client, cluster))
    return client


def _client(client=None):
    """The client to use: the one given, else :func:`get_client`."""
    return client if client is not None else get_client()


def _close_owned():
    while _OWNED:
        client, cluster = _OWNED.pop()
        try:
            client.close()
            cluster.close()
        except Exception:  # pragma: no cover - shutting down anyway
            pass
