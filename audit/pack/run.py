"""Executing the report notebooks with papermill: parameters in, executed notebook out.

Each notebook runs in its own kernel (papermill starts one per notebook; that start, ~1 s, is
unavoidable). Kernels use the ``ipc`` transport: ipykernel 7 warns on every TCP start that the
connection is unencrypted, and local sockets need no ports. Up to two notebooks run at once (the
target machine has two cores; the kernels do the work, the threads here only wait on them).
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audit.errors import NotebookFailed

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


def run_notebook(source: Path, output: Path, parameters: dict[str, str], *,
                 kernel_name: str = "python3", timeout: int = 600) -> NotebookRun:
    """Run ``source`` with ``parameters`` into ``output``; never raises for a failing cell.

    The executed notebook is written even when a cell fails (papermill adds a banner pointing
    at the failing cell), so the failure can be read and rendered.
    """
    import papermill as pm
    from traitlets.config import Config

    config = Config()
    config.KernelManager.transport = "ipc"
    started = time.perf_counter()
    error = None
    # With ipc, the socket path prefix is the kernel's "ip"; two kernels started at once from
    # the same folder race for the same default paths ("kernel-ipc-N"), so each gets its own.
    with tempfile.TemporaryDirectory(prefix="ra-kernel-") as sockets:
        config.KernelManager.ip = str(Path(sockets) / "k")
        try:
            pm.execute_notebook(
                str(source), str(output), parameters=dict(parameters), kernel_name=kernel_name,
                progress_bar=False, log_output=False, cwd=str(source.parent),
                execution_timeout=timeout, config=config,
            )
        except Exception as exc:  # noqa: BLE001 - any failure is reported with the notebook's name
            error = describe_failure(exc)
    return NotebookRun(source.name, output, time.perf_counter() - started, error)


def run_notebooks(
    sources: Sequence[Path],
    out_dir: Path,
    parameters: dict[str, str],
    *,
    workers: int = 2,
    order: Sequence[Path] | None = None,
    on_start: Callable[[str], None] | None = None,
    on_done: Callable[[NotebookRun], None] | None = None,
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
        try:
            result = run_notebook(source, out_dir / source.name, parameters)
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
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        done = dict(zip(start, pool.map(one, start), strict=True))
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


def raise_for_failures(runs: Sequence[NotebookRun], *, kept_in: Path | None = None) -> None:
    """Raise ``NotebookFailed`` naming every failed notebook and its failing cell's error."""
    failed = [r for r in runs if not r.ok]
    if not failed:
        return
    what = "; ".join(f"notebook {r.name} failed at {r.error}" for r in failed)
    where = f" (executed notebooks kept in {kept_in})" if kept_in else ""
    raise NotebookFailed(what + where)
