"""Reaching Ray: import it (optional dependency), start a local runtime on loopback, or join a cluster.

- no address (``local``): a new single-node runtime on this machine whose every server binds to
  127.0.0.1, with the dashboard, metrics collection and usage stats off, so nothing listens on,
  or talks to, any other address. Ray 2.60 turns a node address of 127.0.0.1 into the machine's
  outward address unless multi-node clusters are switched off
  (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, Ray's own switch, the default on laptops), so it is
  switched off while the local runtime runs, and the node's address is checked afterwards.
- ``auto`` or ``host:port`` or ``ray://host:port``: join an existing cluster; this package is
  shipped to its workers with the job (``runtime_env={"py_modules": [...]}``) so they run the
  driver's code.
- Ray already initialised in this process (a notebook, the tests): used as it is, left running.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Iterator

from ...core.errors import BadInputError, UnavailableError

#: What to install for ``--ray``.
INSTALL_HINT = "pip install -r requirements-cluster.txt (Ray 2.60)"
#: Ray's switch for multi-node clusters; "0" keeps a node on the loopback address.
MULTI_NODE_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
LOOPBACK = "127.0.0.1"
PACKAGE_DIR = Path(__file__).resolve().parents[2]  # concept_depth/ (this file is concept_depth/workflows/cluster/runtime.py)


def import_ray():
    """The ``ray`` module, or one UnavailableError line saying what to install."""
    try:
        import ray  # optional heavy dependency (requirements-cluster.txt)
    except ImportError:
        raise UnavailableError(f"--ray needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


def address_of(ray_option: Any) -> str | None:
    """``--ray``/``ray=`` as an address: None = start a local runtime; ``auto``, ``host:port`` or
    ``ray://host:port`` = join. True and ``"local"`` mean local; BadInputError for anything else."""
    if ray_option is True or ray_option is None or str(ray_option).strip().lower() in ("", "local", "true"):
        return None
    text = str(ray_option).strip()
    if text == "auto" or text.startswith("ray://") or (":" in text and " " not in text):
        return text
    raise BadInputError(f"--ray {text!r}: give nothing (a local runtime), 'auto' (the cluster this machine belongs "
                        "to), host:port or ray://host:port")


@contextmanager
def _single_node_env() -> Iterator[None]:
    """Ray's multi-node switch off while a local runtime starts (it reads the variable when imported,
    and its constant is what decides, hence both); usage stats off unless the user set them."""
    saved = {k: os.environ.get(k) for k in (MULTI_NODE_ENV, "RAY_USAGE_STATS_ENABLED")}
    os.environ[MULTI_NODE_ENV] = "0"
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray = import_ray()
    from ray._private import ray_constants  # optional heavy dependency (requirements-cluster.txt)

    saved_flag = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = saved_flag
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def start_local(num_cpus: int | None = None, num_gpus: int | None = None) -> None:
    """Start a local Ray runtime bound to 127.0.0.1 (dashboard, metrics and usage stats off).

    Raises UnavailableError (and stops the runtime) if Ray's node came up on another address.
    """
    ray = import_ray()
    pythonpath = os.pathsep.join(p for p in (str(PACKAGE_DIR.parent), os.environ.get("PYTHONPATH")) if p)
    with _single_node_env():
        ray.init(address="local", num_cpus=num_cpus, num_gpus=num_gpus, include_dashboard=False,
                 _node_ip_address=LOOPBACK, logging_level=logging.WARNING, log_to_driver=False,
                 _system_config={"enable_metrics_collection": False},
                 runtime_env={"env_vars": {"PYTHONPATH": pythonpath}})
        node = ray.util.get_node_ip_address()
    if node != LOOPBACK:
        ray.shutdown()
        raise UnavailableError(f"Ray's local node came up on {node}, not {LOOPBACK}; stopped it (a local sweep "
                               "must not listen on other addresses)")


def join(address: str) -> None:
    """Join the cluster at ``address`` (``auto``, ``host:port``, ``ray://host:port``) shipping this package."""
    ray = import_ray()
    host = address.split("://", 1)[-1].rsplit(":", 1)[0].strip("[]")
    # a cluster on this machine's loopback (started with the same switch): Ray would look for it on the
    # machine's outward address instead
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    try:
        with _single_node_env() if loopback else nullcontext():
            ray.init(address=address, logging_level=logging.WARNING,
                     runtime_env={"py_modules": [str(PACKAGE_DIR)]})
    except (ConnectionError, ValueError, RuntimeError) as exc:
        lines = str(exc).strip().splitlines()
        raise UnavailableError(f"could not join the Ray cluster at {address}: "
                               f"{lines[0] if lines else type(exc).__name__}") from None


@contextmanager
def ray_runtime(ray_option: Any = None, *, num_cpus: int | None = None) -> Iterator[Any]:
    """The ``ray`` module, connected: an existing connection as is, else a local runtime or a joined
    cluster (see the module docstring), shut down on exit when this call started it."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    address = address_of(ray_option)
    if address is None:
        start_local(num_cpus=num_cpus)
    else:
        join(address)
    try:
        yield ray
    finally:
        ray.shutdown()


def describe(ray_option: Any) -> str:
    """``ray local`` / ``ray auto`` / ``ray host:port``, for sweep records and messages."""
    address = address_of(ray_option)
    return "ray local" if address is None else f"ray {address}"


def node_resources(ray) -> list[dict[str, float]]:
    """Total resources of each alive node (``CPU``, ``GPU``, ``memory`` in bytes...)."""
    return [dict(n.get("Resources") or {}) for n in ray.nodes() if n.get("Alive")]
