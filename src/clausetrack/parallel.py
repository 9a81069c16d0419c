"""Spread independent pieces of work over the machine's cores.

A comparison diffs every clause on its own, and every clause file is read on its
own, so long corpora split naturally into pieces. Workers are forked: they start in
a few milliseconds and inherit the loaded corpus, so only the pieces' names go out
and only their results come back. Where ``fork`` is unavailable (Windows, some
sandboxes) or only one core is usable, or the work is too small to pay for the
start-up, everything runs in this process; the results are the same either way, in
the same order.

A worker can also be started ahead (:func:`ahead`) on work needed later, while this
process goes on alone with something else.

``$CLAUSETRACK_JOBS`` caps the number of processes (``1`` turns this off).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, BinaryIO, NoReturn, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this much work (in the caller's units, characters for a comparison) one process
# is faster than forking, sending and gathering.
MIN_WORK = 150_000
# Pieces per worker: enough for a late long piece not to leave a core idle.
_CHUNKS_PER_WORKER = 6

# What the forked workers run: set just before the fork, read by the children.
_TASK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None
# True in a worker: its own pieces of work stay in it (the cores are taken already).
_IN_WORKER = False
# The cap a caller set with :func:`limited` for the work it calls in turn.
_LIMIT: int | None = None


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def jobs_from_env(value: str | None = None) -> int | None:
    """``$CLAUSETRACK_JOBS`` as a number of processes; ``None`` when unset (decide alone)."""
    raw = os.environ.get("CLAUSETRACK_JOBS") if value is None else value
    if raw is None or not raw.strip():
        return None
    try:
        jobs = int(raw)
    except ValueError:
        jobs = 0
    if jobs < 1:
        from clausetrack.errors import UsageError  # only now: the word diff imports little

        raise UsageError(
            f"CLAUSETRACK_JOBS is {raw!r}, not a number of processes",
            "set it to 1 or more (1 runs everything in one process), or unset it",
        )
    return jobs


@contextlib.contextmanager
def limited(jobs: int | None) -> Iterator[None]:
    """Within the block, :func:`map_ordered` with ``jobs=None`` takes ``jobs`` as its
    cap, so a caller's choice holds for the work it calls in turn: ``compare(jobs=1)``
    also diffs a long clause's runs and reads its key changes in one process.
    ``None`` keeps the cap as it was."""
    global _LIMIT
    saved = _LIMIT
    if jobs is not None:
        _LIMIT = jobs
    try:
        yield
    finally:
        _LIMIT = saved


def plan(costs: Sequence[int], jobs: int | None, min_work: int | None = None) -> list[range]:
    """Contiguous pieces of ``range(len(costs))`` to hand out, each about as costly;
    one piece (no fork) when the work is small (under ``min_work``, by default
    :data:`MIN_WORK`) or only one process is allowed."""
    n = len(costs)
    if _small(costs, min_work) or _IN_WORKER or not hasattr(os, "fork"):
        return [range(n)] if n else []
    workers = min(usable_cores() if jobs is None else jobs, n)
    if workers < 2:
        return [range(n)]
    total = sum(costs)
    target = total / (workers * _CHUNKS_PER_WORKER)
    pieces: list[range] = []
    start = acc = 0
    for i, cost in enumerate(costs):
        acc += cost
        if acc >= target:
            pieces.append(range(start, i + 1))
            start, acc = i + 1, 0
    if start < n:
        pieces.append(range(start, n))
    return pieces


def would_fork(costs: Sequence[int], jobs: int | None = None) -> bool:
    """Whether :func:`map_ordered` would share work of these ``costs`` among processes."""
    return not _small(costs, None) and len(plan(costs, _jobs(jobs))) >= 2


def _small(costs: Sequence[int], min_work: int | None) -> bool:
    """Too little work to share (under ``min_work``, by default :data:`MIN_WORK`)."""
    return len(costs) < 2 or sum(costs) < (MIN_WORK if min_work is None else min_work)


def _jobs(jobs: int | None) -> int | None:
    """The cap on processes: ``jobs``, else the one :func:`limited` set, else
    ``$CLAUSETRACK_JOBS``; ``None`` leaves it to the usable cores."""
    if jobs is not None:
        return jobs
    return _LIMIT if _LIMIT is not None else jobs_from_env()


def _worker(read_end: int, write_end: int, mine: Sequence[range]) -> NoReturn:
    """A forked worker: compute its pieces in order, send each as a length-prefixed
    pickle, and leave without running anything of the parent's (no ``finally`` or
    ``atexit`` of the parent may run twice, such as removing a temporary file)."""
    global _IN_WORKER
    status = 1
    try:
        os.close(read_end)
        _IN_WORKER = True
        # The parent alone answers Ctrl-C and SIGTERM: it stops the workers and cleans up.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
        assert _TASK is not None
        fn, items = _TASK
        with os.fdopen(write_end, "wb") as out:
            for piece in mine:
                try:
                    result: tuple[bool, Any] = (True, [fn(items[i]) for i in piece])
                except Exception as error:
                    result = (False, error)
                data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
                out.write(len(data).to_bytes(8, "little") + data)
                if not result[0]:
                    break
        status = 0
    finally:
        os._exit(status)


def _read_exactly(handle: BinaryIO, n: int) -> bytes:
    data = handle.read(n)
    if len(data) != n:
        raise RuntimeError("a worker process stopped before it finished its work")
    return data


_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def map_ordered(
    fn: Callable[[T], R],
    items: Sequence[T],
    costs: Sequence[int],
    jobs: int | None = None,
    min_work: int | None = None,
) -> Generator[R, None, None]:
    """``map(fn, items)``, in order, over several processes when the work is worth it.

    ``costs`` estimate each item's work; ``jobs`` caps the processes (``None``: the
    cap set by :func:`limited`, else ``$CLAUSETRACK_JOBS``, else the usable cores).
    The workers get ``fn`` and ``items`` by the fork (any function will do, nothing of
    them is pickled); the results come back pickled. Worker ``k`` of ``n`` takes pieces
    ``k, k + n, ...`` and sends them in order, so reading piece after piece never waits
    on a worker that is itself waiting.

    The workers are forked by this call, not at the first result asked for: they are at
    work while the caller does something else first (reading the version files while
    the clause files are read, say). Every worker is gone once the generator returned
    ends, however it ends (done, an error, Ctrl-C), or is closed.
    """
    if _small(costs, min_work):  # most calls (one per clause) end here, before the
        return _here(fn, items)  # environment or the kernel is asked anything
    jobs = _jobs(jobs)
    pieces = plan(costs, jobs, min_work)
    if len(pieces) < 2:
        return _here(fn, items)
    workers = min(usable_cores() if jobs is None else jobs, len(pieces))
    children = _fork(fn, items, pieces, workers)
    try:
        results = _gathered(children, len(pieces))
        next(results)  # into its ``try``: from now on, closing it stops the workers
    except BaseException:
        _stop(children)
        raise
    return results


def _here(fn: Callable[[T], R], items: Sequence[T]) -> Generator[R, None, None]:
    """``map(fn, items)`` in this process, as the generator :func:`map_ordered` returns."""
    yield from map(fn, items)


def _gathered(children: list[tuple[int, BinaryIO]], count: int) -> Generator[Any, None, None]:
    """The results of ``count`` pieces from the ``children`` that took them in turn, after
    a first ``None`` (taken by :func:`map_ordered` to enter the ``try``)."""
    try:
        yield None
        for n in range(count):
            yield from _result(children[n % len(children)][1])
    finally:
        _stop(children)


def _fork(
    fn: Callable[[T], R], items: Sequence[T], pieces: list[range], workers: int
) -> list[tuple[int, BinaryIO]]:
    """Fork ``workers`` workers for ``pieces`` of ``map(fn, items)``: worker ``k`` takes
    pieces ``k, k + workers, ...``. Each is noted down (pid, the pipe it writes to) as
    soon as it exists, so that :func:`_stop` can stop it whatever happens next."""
    global _TASK
    _TASK = (fn, items)
    children: list[tuple[int, BinaryIO]] = []
    try:
        for k in range(workers):
            read_end, write_end = os.pipe()
            # No signal may reach a half-made worker, nor the parent before it has noted
            # the worker down to stop it (a signal held meanwhile is handled on unblocking).
            signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
            try:
                pid = os.fork()
                if pid == 0:
                    _worker(read_end, write_end, pieces[k::workers])
                os.close(write_end)
                children.append((pid, os.fdopen(read_end, "rb")))
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    except BaseException:
        _stop(children)
        raise
    finally:
        _TASK = None  # the workers have their copy
    return children


def _result(handle: BinaryIO) -> list[Any]:
    """The next piece's results from a worker's pipe; its exception raised here."""
    size = int.from_bytes(_read_exactly(handle, 8), "little")
    ok, result = pickle.loads(_read_exactly(handle, size))
    if not ok:
        raise result
    results: list[Any] = result
    return results


def _stop(children: list[tuple[int, BinaryIO]]) -> None:
    """Stop and reap the workers (done or not) and close their pipes."""
    for pid, handle in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        handle.close()
    children.clear()


@contextlib.contextmanager
def ahead(fn: Callable[[], R], cost: int, jobs: int | None = None) -> Iterator[Callable[[], R]]:
    """Start ``fn()`` in a forked worker while this process goes on with other work;
    within the block, the callable given waits for the result and returns it (or raises
    what ``fn`` raised). A second core does work that is needed later, instead of idling
    while this one works alone (the line alignment of a long document, say).

    When forking would not pay (``cost`` under :data:`MIN_WORK`, one process allowed,
    no ``fork``, or already in a worker), ``fn`` runs here when its result is first
    asked for. The worker is stopped when the block ends, whether its result was
    asked for or not."""
    done: list[R] = []
    if not would_fork([cost, 0], jobs):

        def here() -> R:
            if not done:
                done.append(fn())
            return done[0]

        yield here
        return
    children: list[tuple[int, BinaryIO]] = []
    try:
        children = _fork(_call, [fn], [range(1)], 1)

        def waited() -> R:
            if not done:
                done.append(_result(children[0][1])[0])
            return done[0]

        yield waited
    finally:
        _stop(children)


def _call(fn: Callable[[], R]) -> R:
    return fn()
