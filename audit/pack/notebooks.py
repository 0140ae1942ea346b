"""Executing the report notebooks with papermill: parameters in, executed notebook out.

Each notebook runs in its own fresh kernel. Kernels use the ``ipc`` transport: ipykernel 7 warns
on every TCP start that the connection is unencrypted, and local sockets need no ports. Up to two
notebooks run at once (the target machine has two cores; the kernels do the work, the threads
here only wait on them).

Warm kernels (:class:`KernelPool`): a kernel's start and its first imports (polars, plotly, the
analysis modules) cost 1-3 s per notebook. The pool starts one kernel per notebook and imports
those modules in it while the orchestrator runs the analyses (their fits leave a core half
idle; the kernels run at nice 10, so they take only what is left), then hands each kernel to
papermill through a small engine that lets papermill shut it down as usual. The warm-up runs
with ``store_history=False``, so the executed notebook's cell numbers still start at 1; it
defines no names.
"""

from __future__ import annotations

import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audit.core.errors import NotebookFailed, Phrase

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


@dataclass(frozen=True)
class NotebookRun:
    """The result of running one notebook: where it went, how long it took, why it failed."""

    name: str
    output: Path
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when every cell ran."""
        return self.error is None


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return lines[0] if lines else ""


def describe_failure(exc: BaseException) -> str:
    """One line: the failing cell (execution count) and its error, from papermill's exception."""
    ename = getattr(exc, "ename", None)
    if ename is not None:
        count = getattr(exc, "exec_count", None)
        index = getattr(exc, "cell_index", "?")
        cell = f"cell [{count}]" if count is not None else f"cell #{index}"
        return f"{cell}: {ename}: {_first_line(getattr(exc, 'evalue', ''))}".rstrip(": ")
    return f"{type(exc).__name__}: {_first_line(str(exc))}"


#: Modules a warm kernel imports before its notebook runs (all used by the report notebooks).
WARM_IMPORTS: tuple[str, ...] = ("polars", "plotly.graph_objects", "audit.core.charts",
                                 "audit.core.bundle", "audit.promises.job",
                                 "audit.promises.figures", "audit.resolution.job",
                                 "audit.resolution.figures", "audit.impact.job",
                                 "audit.impact.figures")
_WARM_ENGINE = "review-audit-warm"


def _kernel_config(sockets: str) -> object:
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport = "ipc"
    # With ipc, the socket path prefix is the kernel's "ip"; two kernels started at once from
    # the same folder race for the same default paths ("kernel-ipc-N"), so each gets its own.
    config.KernelManager.ip = str(Path(sockets) / "k")
    return config


def _register_warm_engine() -> str:
    """Register (once) a papermill engine that runs a notebook on an already started kernel.

    papermill's nbclient engine accepts a kernel manager (``km``) but then leaves that kernel
    running; this engine marks the client as the kernel's owner, so it is shut down as usual.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    if _WARM_ENGINE in papermill_engines._engines:  # noqa: SLF001 - no public lookup
        return _WARM_ENGINE

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,  # noqa: ANN001, FBT002, PLR0913
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, km=None, **kwargs):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                                 kernel_name=kernel_name, log=logger, log_output=log_output,
                                 stdout_file=stdout_file, stderr_file=stderr_file)
            client = PapermillNotebookClient(nb_man, km=km, **final)
            client.owns_km = True  # shut the kernel down after the run, as for a cold start
            return client.execute()

    papermill_engines.register(_WARM_ENGINE, WarmEngine)
    return _WARM_ENGINE


def _yield_cpu(km: object) -> None:
    """Lower a warming kernel's CPU priority (nice 10), where the system allows it.

    Why: kernels warm while the analyses run in this process, whose fits keep one core busy;
    at equal priority the four kernels' imports took CPU from the analyses (8.3 s instead of
    6.5 s on the demo), at nice 10 they use what the analyses leave idle (the pack 17 s, not
    18.6 s). The notebooks then run at nice 10 too, beside this process's Excel and CSV work,
    which the index waits for anyway.
    """
    import os

    pid = getattr(getattr(km, "provisioner", None), "pid", None)
    if pid and hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, pid, 10)
        except OSError:  # not allowed here: the kernel keeps its priority
            pass


def start_warm_kernel(cwd: Path, sockets: Path, *, kernel_name: str = "python3",
                      imports: Sequence[str] = WARM_IMPORTS) -> object:
    """Start a kernel in ``cwd`` and import ``imports`` in it (no names defined, no history).

    ``sockets`` is a folder for the kernel's ipc socket files (one per kernel).
    """
    import asyncio

    from jupyter_client.manager import AsyncKernelManager

    sockets.mkdir(parents=True, exist_ok=True)
    code = f"[__import__(m) for m in {list(imports)!r}] and None"

    async def start() -> AsyncKernelManager:
        km = AsyncKernelManager(kernel_name=kernel_name, config=_kernel_config(str(sockets)))
        await km.start_kernel(cwd=str(cwd))
        _yield_cpu(km)
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            reply = await kc.execute_interactive(code, store_history=False, timeout=120,
                                                 output_hook=lambda _msg: None)
            if reply["content"]["status"] != "ok":
                await km.shutdown_kernel(now=True)
                msg = f"warm-up imports failed: {reply['content'].get('evalue')}"
                raise RuntimeError(msg)
        finally:
            kc.stop_channels()
        return km

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(start())
    finally:
        loop.close()


def shutdown_kernel(km: object) -> None:
    """Stop a kernel that was started but never used."""
    import asyncio

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(km.shutdown_kernel(now=True))  # type: ignore[attr-defined]
    finally:
        loop.close()


class KernelPool:
    """Kernels started and warmed in the background, one per notebook.

    ``take()`` waits for the next warm kernel, or returns None when warming failed (the
    notebook then starts its own kernel, as papermill normally does). ``close()`` stops every
    kernel nobody took; call it in a ``finally``.
    """

    def __init__(self, count: int, cwd: Path) -> None:
        import queue

        self._sockets = Path(tempfile.mkdtemp(prefix="ra-kernels-"))
        self._ready: queue.Queue[object | None] = queue.Queue()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._start, args=(cwd, self._sockets / str(i)),
                                          daemon=True, name=f"warm-kernel-{i}")
                         for i in range(count)]
        self._taken = 0
        for t in self._threads:
            t.start()

    def _start(self, cwd: Path, sockets: Path) -> None:
        try:
            self._ready.put(start_warm_kernel(cwd, sockets))
        except Exception:  # noqa: BLE001 - a cold start is the fallback
            self._ready.put(None)

    def take(self) -> object | None:
        """Wait for the next warm kernel manager (None: start cold)."""
        with self._lock:
            if self._taken >= len(self._threads):
                return None
            self._taken += 1
        return self._ready.get()

    def close(self) -> None:
        """Stop the kernels nobody took (waits for those still starting), remove socket dirs."""
        import shutil

        for t in self._threads:
            t.join()
        while not self._ready.empty():
            km = self._ready.get()
            if km is not None:
                shutdown_kernel(km)
        shutil.rmtree(self._sockets, ignore_errors=True)


def run_notebook(source: Path, output: Path, parameters: dict[str, str], *,
                 kernel_name: str = "python3", timeout: int = 600,
                 km: object | None = None, cwd: Path | None = None) -> NotebookRun:
    """Run ``source`` with ``parameters`` into ``output``; never raises for a failing cell.

    The executed notebook is written even when a cell fails (papermill adds a banner pointing
    at the failing cell), so the failure can be read and rendered. ``km``: a started kernel
    manager (:class:`KernelPool`) to run on; None starts a fresh kernel in ``cwd``. The
    executed notebook records its source and output by file name only (papermill writes
    absolute paths of the machine that ran it).
    """
    started = time.perf_counter()
    error = None
    with tempfile.TemporaryDirectory(prefix="ra-kernel-") as sockets:
        if km is None and cwd is not None:
            # papermill's own ``cwd`` changes the whole process's folder (threads share it):
            # start the kernel in ``cwd`` here instead (no warm-up imports).
            try:
                km = start_warm_kernel(cwd, Path(sockets), kernel_name=kernel_name, imports=())
            except Exception as exc:  # noqa: BLE001 - reported like a failing cell
                error = describe_failure(exc)
        if error is None:
            error = _execute(source, output, parameters, kernel_name=kernel_name,
                             timeout=timeout, km=km, sockets=sockets)
    _record_names_only(output)
    return NotebookRun(source.name, output, time.perf_counter() - started, error)


def _execute(source: Path, output: Path, parameters: dict[str, str], *, kernel_name: str,
             timeout: int, km: object | None, sockets: str) -> str | None:
    """Run one notebook with papermill; the failure's description, or None."""
    import papermill as pm

    engine = {"engine_name": _register_warm_engine(), "km": km} if km is not None else {}
    # Each notebook gets the parameters it declares (the pack's set is shared by all of them).
    declared = pm.inspect_notebook(str(source))
    own = {k: v for k, v in parameters.items() if k in declared}
    try:
        pm.execute_notebook(
            str(source), str(output), parameters=own, kernel_name=kernel_name,
            progress_bar=False, log_output=False,
            execution_timeout=timeout, config=_kernel_config(sockets), **engine,
        )
    except Exception as exc:  # noqa: BLE001 - any failure is reported with the notebook's name
        return describe_failure(exc)
    return None


def _record_names_only(output: Path) -> None:
    """Replace papermill's absolute input and output paths by the notebooks' file names."""
    import json

    if not output.is_file():
        return
    nb = json.loads(output.read_text("utf-8"))
    meta = nb.get("metadata", {}).get("papermill", {})
    for key in ("input_path", "output_path"):
        if meta.get(key):
            meta[key] = Path(meta[key]).name
    output.write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n", "utf-8")


def run_notebooks(
    sources: Sequence[Path],
    out_dir: Path,
    parameters: dict[str, str],
    *,
    workers: int = 2,
    order: Sequence[Path] | None = None,
    pool: KernelPool | None = None,
    on_start: Callable[[str], None] | None = None,
    on_done: Callable[[NotebookRun], None] | None = None,
    cwd: Path | None = None,
) -> list[NotebookRun]:
    """Run every notebook into ``out_dir`` (same file names), ``workers`` at a time.

    All notebooks run even when one fails (a manager then sees every failure at once, as the
    covid19 dashboard's runner lists them). They start in ``order`` (default ``sources``; the
    longest first finishes sooner on two workers); results come back in ``sources`` order.
    """
    out_dir.mkdir(parents=True, exist_ok=True)

    def one(source: Path) -> NotebookRun:
        if on_start:
            on_start(source.name)
        km = pool.take() if pool is not None else None
        try:
            result = run_notebook(source, out_dir / source.name, parameters, km=km, cwd=cwd)
        finally:
            _close_thread_loop()
        if on_done:
            on_done(result)
        return result

    # Always in worker threads (even one at a time): each gets its own event loop, which is
    # closed afterwards, so the caller's loop and sockets are never touched.
    start = list(order) if order is not None else list(sources)
    if sorted(start) != sorted(sources):
        msg = "order must be a permutation of sources"
        raise ValueError(msg)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as executor:
        done = dict(zip(start, executor.map(one, start), strict=True))
    return [done[s] for s in sources]


def _close_thread_loop() -> None:
    """Close the event loop nbclient created for this worker thread (it never closes it)."""
    import asyncio

    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return
    if not loop.is_closed():
        loop.close()
    asyncio.set_event_loop(None)


def raise_for_failures(runs: Sequence[NotebookRun], *, kept_in: Path | None = None,
                       key: str = "error.notebooks_failed_kept") -> None:
    """Raise ``NotebookFailed`` naming every failed notebook and its failing cell's error.

    ``key`` says where the executed copies were kept (``kept_in``); the cell's error stays in
    the program's words (it is for whoever fixes the notebook).
    """
    failed = tuple(Phrase("error.notebook_failed", name=r.name, error=r.error)
                   for r in runs if not r.ok)
    if not failed:
        return
    if kept_in is None:
        raise NotebookFailed.worded(key="error.join_all", failures=failed)
    raise NotebookFailed.worded(key=key, failures=failed, where=kept_in)
