"""Where a job's shards run: in this process, on a local process pool, or as Ray tasks.

A long job (a babbling dataset, the physics equilibria of a skin fit) is a list of shard tasks,
each a module-level function of one picklable argument that writes its own shard atomically and
returns a small summary. Because a shard depends on nothing but its own task (its seed, its
commands), where it runs cannot change what it writes: one process, two, or a Ray cluster give
the same bytes, and a lost worker costs only the shard it was writing.

    pool = ShardPool(workers=2)                        # today's local process pool
    pool = ShardPool(workers=2, ray_address="local")   # a private Ray instance on this machine
    pool = ShardPool(ray_address="10.0.0.5:6379")      # a running cluster (`ray start --head`)

Ray is an optional extra (`pip install facetwin[ray]`), imported only when asked for. A cluster
that cannot be reached, and a task whose worker died more often than Ray retries it, are each one
BackendError line; the shards finished before stay on disk for the rerun to resume from.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

from tqdm import tqdm

from facetwin.errors import BackendError, FacetwinError

RAY_ADDRESS_ENV = "FACETWIN_RAY_ADDRESS"
LOCAL = "local"
"""The Ray address that starts a private Ray instance on this machine for the job."""
OBJECT_STORE_BYTES = 100 * 1024 * 1024
"""A private instance's object store: shards travel through files, so the store holds only summaries."""
RETRIES = 2
"""How often Ray runs a task again whose worker died before the job gives up."""
PROBE_SECONDS = 5.0
RESUME_HINT = "the shards finished so far are kept; run the same command again to resume"


def _run_indexed(item: tuple[Callable[[Any], Any], int, Any]) -> tuple[int, Any]:
    fn, index, task = item
    return index, fn(task)


class ShardPool:
    """Runs a job's shard tasks `workers` at a time, locally or on Ray (`ray_address`: "local",
    "auto" or a cluster's address); `run` yields each result as soon as its shard is done."""

    def __init__(self, workers: int = 1, ray_address: str | None = None, retries: int = RETRIES):
        if workers < 1:
            raise BackendError(f"workers must be at least 1, not {workers}")
        self.workers = workers
        self.ray_address = ray_address
        self.retries = retries

    @property
    def where(self) -> str:
        if self.ray_address is None:
            return "this process" if self.workers == 1 else f"{self.workers} local processes"
        return f"Ray ({self.ray_address}), {self.workers} tasks at a time"

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any], sizes: Sequence[int], *, desc: str,
            unit: str, total: int | None = None, progress: bool = True) -> Iterator[tuple[int, Any]]:
        """(index into `tasks`, fn(task)) for every task, in the order they finish; one progress
        bar for the whole job, `sizes` being each task's share of `total` (the job's whole size,
        the part done before included)."""
        total = sum(sizes) if total is None else total
        bar = tqdm(total=total, initial=total - sum(sizes), desc=desc, unit=unit, disable=not progress,
                   dynamic_ncols=True)
        with bar:
            if not tasks:
                return
            if self.ray_address is not None:
                results = self._ray(fn, tasks)
            elif self.workers == 1 or len(tasks) == 1:
                results = ((k, fn(task)) for k, task in enumerate(tasks))
            else:
                results = self._processes(fn, tasks)
            for index, result in results:
                bar.update(sizes[index])
                yield index, result

    def _processes(self, fn, tasks) -> Iterator[tuple[int, Any]]:
        with ProcessPoolExecutor(min(self.workers, len(tasks)), mp_context=get_context("spawn")) as pool:
            pending = {pool.submit(_run_indexed, (fn, k, task)) for k, task in enumerate(tasks)}
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            except BrokenProcessPool:
                raise BackendError(f"a worker process died; {RESUME_HINT}") from None
            finally:
                for future in pending:
                    future.cancel()

    def _ray(self, fn, tasks) -> Iterator[tuple[int, Any]]:
        ray = _import_ray()
        started = self.connect(ray)
        running: dict[Any, int] = {}
        try:
            remote = ray.remote(num_cpus=1, max_retries=self.retries)(fn)
            queue = list(enumerate(tasks))[::-1]
            while queue or running:
                while queue and len(running) < self.workers:
                    k, task = queue.pop()
                    running[remote.remote(task)] = k
                done, _ = ray.wait(list(running), num_returns=1)
                k = running.pop(done[0])
                yield k, self._result(ray, done[0])
        finally:
            for ref in running:
                ray.cancel(ref, force=True)
            if started:
                ray.shutdown()

    def connect(self, ray=None) -> bool:
        """Joins the cluster (or starts the private instance); True when this job started Ray and
        so shuts it down again."""
        ray = ray or _import_ray()
        if ray.is_initialized():
            return False
        options: dict[str, Any] = {"include_dashboard": False, "logging_level": "ERROR", "log_to_driver": False}
        try:
            _probe(self.ray_address)
            if self.ray_address == LOCAL:
                ray.init(num_cpus=self.workers, object_store_memory=OBJECT_STORE_BYTES, **options)
            else:
                ray.init(address=self.ray_address, **options)
        except Exception as error:  # noqa: BLE001 - whatever stops Ray from starting is one line
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise BackendError(f"cannot reach the Ray cluster at {self.ray_address!r} ({reason}); start it "
                               f"with `ray start --head` or check --ray / ${RAY_ADDRESS_ENV}") from None
        return True

    def _result(self, ray, ref) -> Any:
        from ray import exceptions

        try:
            return ray.get(ref)
        except exceptions.RayTaskError as error:
            cause = error.cause if isinstance(error.cause, Exception) else None
            if isinstance(cause, FacetwinError):
                raise cause from None
            raise BackendError(f"a shard task failed on Ray ({type(cause or error).__name__}: "
                               f"{str(cause or error).strip().splitlines()[-1]}); {RESUME_HINT}") from None
        except (exceptions.WorkerCrashedError, exceptions.NodeDiedError, exceptions.ObjectLostError,
                exceptions.RaySystemError) as error:
            raise BackendError(f"a Ray worker died {self.retries + 1} times running one shard "
                               f"({type(error).__name__}); {RESUME_HINT}") from None


def _probe(address: str) -> None:
    """A HOST:PORT that nobody answers on fails here in seconds; Ray itself retries for minutes."""
    host, _, port = address.rpartition(":")
    if address in (LOCAL, "auto") or "://" in address or not port.isdigit():
        return
    with socket.create_connection((host or "127.0.0.1", int(port)), timeout=PROBE_SECONDS):
        pass


def _import_ray():
    try:
        import ray
    except ImportError:
        raise BackendError("--ray needs Ray: pip install 'facetwin[ray]'") from None
    return ray
