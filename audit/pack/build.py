"""The monthly management pack: validated data, executed notebooks, HTML, Excel, manifest.

:func:`build_monthly_pack` is what ``review-audit monthly`` runs. The steps, and why:

1. check the parameters (:mod:`audit.pack.params`) before anything runs;
2. validate the exports once, in this process (Great Expectations costs 7-16 s to import), and
   write a typed Parquet snapshot that the notebook kernels load without GX;
3. run every notebook with papermill, two at a time, parameters as plain strings, while this
   process computes the headline numbers and the action lists from the same snapshot tables;
4. render each executed notebook, as soon as it finishes, to code-free HTML that loads the
   pack's single plotly.js;
5. write ``index.html``, the Excel action lists, CSV/JSON results and ``manifest.json``.

The pack is built in a hidden temporary folder beside the target and renamed into place only
when complete, so an earlier pack of the month survives any failure. When a notebook fails,
the run stops with the notebook's name and the failing cell's error, and the unfinished pack
(executed notebooks, their HTML with code shown, the snapshot) is kept in ``OUT/MONTH.failed/``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from audit.core.bundle import action_list_href
from audit.core.errors import ParameterError
from audit.core.fmt import fmt_count, fmt_seconds
from audit.core.labels import label
from audit.core.resources import shipped_folder
from audit.data import outputs
from audit.pack.analyses import analyse_month, save_month_views
from audit.pack.excel import WORKBOOKS, Context, write_action_lists
from audit.pack.html import ASSETS, PLOTLY_JS, copy_plotly_js, nav_html, render_notebook
from audit.pack.index import PageLink, index_html, table_name
from audit.pack.manifest import build_manifest
from audit.pack.notebooks import KernelPool, NotebookRun, raise_for_failures, run_notebooks
from audit.pack.params import PackParams, check_params, check_shop, resolve_as_of
from audit.pack.quality_words import quality_frame
from audit.pack.sparkline import series
from audit.pack.year import save_year, write_year_files, year_views

if TYPE_CHECKING:
    import polars as pl

    from audit.data.dataset import Dataset
    from audit.pack.headline import Headline, MonthViews

Progress = Callable[[str], None]

#: Sub-folders of a pack.
NOTEBOOKS = "notebooks"
DATA = "data"
ACTIONS = "actions"
QUARANTINE = "quarantine"
_SNAPSHOT = "_snapshot"
#: The views the notebooks show (buyers masked), kept in the pack so an executed notebook
#: re-runs from the pack folder: its ``views_dir`` parameter is this pack-relative name.
VIEWS = "views"


def default_notebooks_dir() -> Path:
    """The report notebooks (packaged with the toolkit, or ``notebooks/`` in a checkout)."""
    return shipped_folder("notebooks")


@dataclass
class PackResult:
    """Where the pack went, what it holds, how long each step took."""

    pack_dir: Path
    params: PackParams
    steps: dict[str, float] = field(default_factory=dict)
    notebooks: dict[str, float] = field(default_factory=dict)
    outputs: list[Path] = field(default_factory=list)
    #: Wall-clock seconds of the whole build (steps overlap: their sum is more).
    seconds: float = 0.0


#: Exports each known report cannot do without (beyond reviews and cases, which every pack
#: needs). When one is absent the report and its headline numbers are skipped, and the index
#: says why, instead of the whole pack failing on one missing export.
REPORT_TABLES: dict[str, tuple[str, ...]] = {
    "promises": ("promises", "fulfilments"),
    "resolution": ("contacts",),
    "impact": ("sales_daily",),
}
#: Exports every pack needs: a structural error (exit 2) when absent.
PACK_TABLES: tuple[str, ...] = ("reviews", "cases")

#: Reading order of the known reports (others follow alphabetically): the index's order.
REPORT_ORDER: tuple[str, ...] = ("promises", "resolution", "impact", "trends")


def _notebooks(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise ParameterError.worded(key="error.notebooks_folder", path=repr(str(folder)))
    rank = {stem: i for i, stem in enumerate(REPORT_ORDER)}
    found = sorted((p for p in folder.glob("*.ipynb") if not p.name.startswith(".")),
                   key=lambda p: (rank.get(p.stem, len(rank)), p.name))
    if not found:
        raise ParameterError.worded(key="error.no_notebooks", folder=folder)
    return found


def _execution_order(sources: list[Path], previous_pack: Path) -> list[Path]:
    """Longest notebook first, by the previous pack's timings (two workers finish sooner).

    Unknown notebooks go first (they may be long); without a previous pack, reading order.
    """
    try:
        seconds = json.loads((previous_pack / "manifest.json").read_text("utf-8"))[
            "notebooks_seconds"]
    except (OSError, ValueError, KeyError):
        return sources
    return sorted(sources, key=lambda p: -seconds.get(p.name, float("inf")))


def _title(stem: str, lang: str) -> str:
    try:
        return label(f"report.{stem}", lang)
    except KeyError:
        return stem


class _Clock:
    """Step durations for the manifest and the benchmark, in wall and CPU seconds.

    CPU: this process's (all its threads, not the kernels) since the previous step ended,
    because wall times on a shared machine say more about the others' load than the pack.
    """

    def __init__(self) -> None:
        self.steps: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._cpu = time.process_time()

    def step(self, name: str, started: float) -> float:
        self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - started
        now = time.process_time()
        self.cpu[name] = self.cpu.get(name, 0.0) + now - self._cpu
        self._cpu = now
        return time.perf_counter()


def _write_quality(ds: Dataset, pack: Path, lang: str) -> list[Path]:
    """Write data/data_quality.csv and quarantine/<table>.csv (buyers masked, unlike validate).

    The columns are the same in every language (scripts read them); the reasons a person
    reads are in the pack's language, as on the index.
    """
    written = [pack / DATA / "data_quality.csv"]
    outputs.write_csv(quality_frame(ds.reports, lang), written[0], bom=True)
    for name, frame in sorted(ds.quarantine.items()):
        if frame.height:
            path = pack / QUARANTINE / f"{name}.csv"
            outputs.write_csv(frame, path, bom=True)  # masked by the writer
            written.append(path)
    return written


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Replace ``target`` by ``tmp`` with two renames; on failure the old pack is restored."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{tmp.name[-8:]}")
        target.rename(old)
    try:
        tmp.rename(target)
    except OSError:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _keep_failed(tmp: Path, out: Path, month: str) -> Path:
    failed = out / f"{month}.failed"
    if failed.exists():
        shutil.rmtree(failed)
    tmp.rename(failed)
    return failed


class _Pages:
    """Renders each executed notebook to HTML as soon as it finishes (code shown if it failed).

    Called from the notebook runner's threads, so a page renders (nbconvert, in this process)
    while the other notebooks still run in their kernels, instead of all of them after the
    last one; a lock keeps one render at a time. The navigation lists every page up front.
    """

    def __init__(self, sources: list[Path], pack: Path, *, lang: str, say: Progress) -> None:
        copy_plotly_js(pack)
        self.pack, self.lang, self.say = pack, lang, say
        self.pages = [(p.stem, _title(p.stem, lang)) for p in sources]
        self.nav = nav_html([("index.html", label("report.index", lang))]
                            + [(f"{stem}.html", title) for stem, title in self.pages])
        self._lock = threading.Lock()
        #: Seconds spent rendering (overlapping the notebooks still running).
        self.seconds = 0.0

    def render(self, run: NotebookRun) -> None:
        """Render one executed notebook into ``<stem>.html``."""
        stem = Path(run.name).stem
        with self._lock:
            started = time.perf_counter()
            self.say(f"  {label('progress.rendering', self.lang)} {stem}.html")
            render_notebook(run.output, self.pack / f"{stem}.html", title=_title(stem, self.lang),
                            nav=self.nav, lang=self.lang, plotly_js_url=f"{ASSETS}/{PLOTLY_JS}",
                            show_code=not run.ok)
            self.seconds += time.perf_counter() - started


def _write_index(pack: Path, *, headline: Headline, counts: dict[str, int],
                 pages: list[tuple[str, str]], ds: Dataset, params: PackParams,
                 notes: list[str], trends: pl.DataFrame) -> None:
    """Write index.html: headline (with the trends' sparklines), links, data quality, notes."""
    lang = params.lang
    reports = [PageLink(f"{stem}.html", title, label("index.notebook", lang),
                        f"{NOTEBOOKS}/{stem}.ipynb") for stem, title in pages]
    quarantine = [PageLink(f"{QUARANTINE}/{p.name}", table_name(p.stem, lang),
                           label("index.quarantine_file", lang))
                  for p in sorted((pack / QUARANTINE).glob("*.csv"))]
    books = [name for name in WORKBOOKS if name in counts] + [
        name for name in counts if name not in WORKBOOKS]  # the review part's
    actions = [PageLink(action_list_href(name, params.month), label(f"actions.{name}", lang),
                        label("index.rows", lang).format(n=fmt_count(counts[name], lang)))
               for name in books]
    shown = {"month": params.month, "as_of": params.as_of, "shop": params.shop, "lang": lang}
    page = index_html(headline=headline, reports=reports, actions=actions, quality=ds.reports,
                      params=shown, notes=notes, quarantine=quarantine,
                      trends=series(trends))
    (pack / "index.html").write_text(page, "utf-8")


def _write_headline(headline: Headline, data: Path) -> list[Path]:
    """``data/headline.csv`` (values as shown) and ``data/headline.json`` (full precision)."""
    outputs.write_csv(headline.frame(), data / "headline.csv", bom=True)
    outputs.write_json({"month": headline.month, "as_of": headline.as_of.isoformat(),
                        "previous_month": headline.previous_month,
                        "previous_as_of": headline.previous_as_of.isoformat(),
                        "values": headline.values, "previous": headline.previous,
                        "notes": list(headline.notes)}, data / "headline.json")
    return [data / "headline.csv", data / "headline.json"]


def _skipped(ds: Dataset, lang: str) -> tuple[dict[str, list[str]], list[str]]:
    """Reports whose exports are absent, and the index's note for each."""
    skipped = {stem: missing for stem, needs in REPORT_TABLES.items()
               if (missing := [n for n in needs if n in ds.absent])}
    notes = [label("index.skipped", lang).format(report=_title(stem, lang),
                                                 tables=label("list.separator", lang).join(
                                                     table_name(t, lang) for t in missing))
             for stem, missing in skipped.items()]
    return skipped, notes


#: File in a build folder naming the process that builds it (``host pid``): stale-build test.
_OWNER = ".owner"
#: A build folder of another machine (a shared drive) is stale after this long.
_STALE_SECONDS = 24 * 3600


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _is_stale(folder: Path) -> bool:
    """True when ``folder``'s builder is gone: killed (``kill -9``) or crashed mid-build."""
    try:
        host, pid = (folder / _OWNER).read_text("utf-8").split()
        if host != socket.gethostname():
            return time.time() - folder.stat().st_mtime > _STALE_SECONDS
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError):
        return time.time() - folder.stat().st_mtime > _STALE_SECONDS
    return False


def remove_stale_builds(out: Path, month: str) -> list[Path]:
    """Remove what a killed run of ``month`` left in ``out``; running builds are left alone.

    That is its build folder (raw snapshot included) and the earlier pack it was swapping out.
    """
    removed = []
    for folder in sorted(out.glob(f".{month}.building-*")):
        if folder.is_dir() and _is_stale(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    if (out / month).is_dir():
        for folder in sorted(out.glob(f".{month}.old-*")):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


class _Terminated(SystemExit):
    """SIGTERM arrived: unwind (so the build folder is removed) and exit 143."""


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise _Terminated(128 + signal.SIGTERM)


class _Build:
    """The hidden build folder beside the target: removed on failure, unless kept for debugging.

    It is private (0700) while it holds the raw snapshot and gets the umask's permissions
    (0755 under 022) when it becomes the pack, so colleagues on a shared drive can open it. A
    SIGTERM unwinds the build like any error (the folder is removed); a ``kill -9`` leaves it,
    and the next run of the month removes it (:func:`remove_stale_builds`).
    """

    def __init__(self, params: PackParams) -> None:
        params.out.mkdir(parents=True, exist_ok=True)
        remove_stale_builds(params.out, params.month)
        self.target = params.out / params.month
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{params.month}.building-", dir=params.out))
        (self.tmp / _OWNER).write_text(f"{socket.gethostname()} {os.getpid()}", "utf-8")
        self.done = False
        self._sigterm = None
        if threading.current_thread() is threading.main_thread():
            self._sigterm = signal.signal(signal.SIGTERM, _on_sigterm)

    def keep_failed(self, out: Path, month: str) -> Path:
        """Move the unfinished pack to ``OUT/MONTH.failed`` (its raw snapshot included: 0700)."""
        self.done = True
        (self.tmp / _OWNER).unlink(missing_ok=True)
        return _keep_failed(self.tmp, out, month)

    def finish(self) -> None:
        """Open the pack to the umask's permissions and swap it into place."""
        (self.tmp / _OWNER).unlink(missing_ok=True)
        self.tmp.chmod(0o777 & ~_umask())
        _swap_into_place(self.tmp, self.target)
        self.done = True

    def cleanup(self) -> None:
        """Remove the build folder unless it became the pack or the failed pack."""
        if not self.done:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self._sigterm is not None:
            signal.signal(signal.SIGTERM, self._sigterm)
            self._sigterm = None


def _validate(params: PackParams, build: _Build, clock: _Clock, say: Progress
              ) -> tuple[Dataset, PackParams, dict[str, pl.LazyFrame]]:
    """Validate the exports once; resolve as-of and shop; the typed snapshot's tables."""
    from audit.data.dataset import load_dataset, write_snapshot

    say(f"{label('progress.validating', params.lang)} {params.data_dir} …")
    t = time.perf_counter()
    ds = load_dataset(params.data_dir, require=PACK_TABLES)
    t = clock.step("validate", t)
    lang = params.lang
    seconds = fmt_seconds(clock.steps["validate"], lang)
    say("  " + label("progress.rows", lang).format(
        valid=fmt_count(sum(r.rows_valid for r in ds.reports.values()), lang),
        quarantined=fmt_count(ds.rows_quarantined, lang), seconds=seconds))
    params = resolve_as_of(params, ds.last_activity())
    check_shop(params, set(ds.tables["reviews"].select("shop_id").unique().collect()["shop_id"]))
    snapshot = write_snapshot(ds, build.tmp / _SNAPSHOT)
    tables = load_dataset(snapshot).tables  # the typed Parquet, the same rows the jobs use
    clock.step("snapshot", t)
    return ds, params, tables


def _run_pages(sources: list[Path], build: _Build, params: PackParams, pool: KernelPool | None,
               *, workers: int, say: Progress, pages: _Pages) -> list[NotebookRun]:
    """Run the notebooks on the saved views (papermill, ``workers`` at a time), render each."""

    def done(r: NotebookRun) -> None:
        say(f"{'✓' if r.ok else '✗'} {r.name} " + fmt_seconds(r.seconds, params.lang)
            + ("" if r.ok else f" — {r.error}"))
        pages.render(r)

    # Kernels run in the pack folder with pack-relative paths: no build-machine path is
    # recorded in an executed notebook, and the record re-runs from the finished pack.
    return run_notebooks(
        sources, build.tmp / NOTEBOOKS,
        params.notebook_parameters(Path(VIEWS), Path(_SNAPSHOT)),
        workers=workers, order=_execution_order(sources, build.target), pool=pool,
        cwd=build.tmp,
        on_start=lambda n: say(f"▶ {label('progress.running', params.lang)} {n}"),
        on_done=done)


def _write_data_files(ds: Dataset, views: MonthViews, headline: Headline, build: _Build,
                      params: PackParams) -> dict[str, int]:
    """Excel action lists, their CSVs, data quality, quarantine and the headline files."""
    lang = params.lang
    quality = (label("dq.some_quarantined", lang).format(n=fmt_count(ds.rows_quarantined, lang))
               if ds.rows_quarantined else label("dq.none_quarantined", lang))
    ctx = Context(month=params.month, as_of=params.as_of or "", shop=params.shop,
                  quality=quality, lang=lang)
    counts = write_action_lists(views, build.tmp / ACTIONS, build.tmp / DATA, ctx=ctx)
    if views.promises is not None and views.promises.chat_checked:  # as `review-audit promises`
        outputs.write_csv(views.promises.chat_offers, build.tmp / DATA / "chat_offers.csv",
                          bom=True)
    _write_quality(ds, build.tmp, lang)
    _write_headline(headline, build.tmp / DATA)
    return counts


def build_monthly_pack(
    data_dir: Path | str,
    *,
    month: str,
    as_of: str | None = None,
    shop: str | None = None,
    lang: str = "en",
    out: Path | str = "reports",
    sla_hours: float = 24.0,
    window: int = 14,
    notebooks_dir: Path | str | None = None,
    workers: int = 2,
    warm_kernels: bool = True,
    progress: Progress | None = None,
) -> PackResult:
    """Build ``OUT/MONTH/``: the month's management pack (see the module docstring).

    Parameters
    ----------
    data_dir
        Folder of exports (``reviews.csv``, ...), validated here once.
    month, as_of, shop, lang
        The report month (YYYY-MM), audit date (YYYY-MM-DD, default the data's last day of
        activity), one shop_id (default all), label language (en or zh).
    out
        Reports folder; the pack becomes ``out/month``.
    sla_hours, window
        First-contact SLA (resolution) and event window in days (impact).
    notebooks_dir
        The notebooks to run (default: the packaged report notebooks).
    workers
        Notebooks run at once (2 fits a 2-core machine).
    warm_kernels
        Start and warm one kernel per notebook while the analyses run (nice 10)
        (:class:`audit.pack.notebooks.KernelPool`); False starts each kernel when its turn comes.
    progress
        Called with one line per step (the CLI prints them).

    Raises
    ------
    ParameterError, StructuralError
        Bad parameters or unreadable exports: nothing was written.
    AnalysisFailed
        An analysis raised: names the job; nothing was written.
    NotebookFailed
        A notebook failed: names it and the failing cell; debris kept in ``out/MONTH.failed``.
    """
    say = progress or (lambda _line: None)
    clock = _Clock()
    began = time.perf_counter()
    params = check_params(data_dir, month=month, as_of=as_of, shop=shop, lang=lang, out=out,
                          sla_hours=sla_hours, window=window)
    sources = _notebooks(Path(notebooks_dir) if notebooks_dir else default_notebooks_dir())
    clock.step("parameters", began)
    build = _Build(params)
    pool: KernelPool | None = None
    try:
        ds, params, tables = _validate(params, build, clock, say)
        skipped, skip_notes = _skipped(ds, params.lang)
        for note in skip_notes:
            say(f"  {note}")
        sources = [s for s in sources if s.stem not in skipped]
        # Kernels start and import while the analyses run: their threads leave a core half
        # idle (Python-bound fits), where warming during validation only slowed it (GX's
        # import is CPU-bound: 6.8 s validation with four kernels warming, 3.3 s without).
        pool = KernelPool(len(sources), build.tmp) if warm_kernels else None

        t = time.perf_counter()
        current, previous, headline = analyse_month(tables, params, skip=set(skipped))
        save_month_views(current, build.tmp / VIEWS)
        t = clock.step("analyses", t)
        year = year_views(tables, params, current, previous, skip=set(skipped))
        save_year(year, build.tmp / VIEWS)
        t = clock.step("trends_and_scorecard", t)

        renderer = _Pages(sources, build.tmp, lang=params.lang, say=say)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="notebooks") as executor:
            pages_job = executor.submit(_run_pages, sources, build, params, pool,
                                        workers=workers, say=say, pages=renderer)
            counts = _write_data_files(ds, current, headline, build, params)
            counts.update(write_year_files(year, current, build.tmp / ACTIONS, build.tmp / DATA,
                                           lang=params.lang))
            t = clock.step("actions_and_data", t)
            runs = pages_job.result()  # re-raises anything the runner raised
        t = clock.step("notebooks_wait", t)  # each page rendered as its notebook finished
        clock.steps["notebooks_wall"] = sum(r.seconds for r in runs) / max(1, workers)
        clock.steps["render"] = renderer.seconds
        pages = renderer.pages
        if not all(r.ok for r in runs):
            raise_for_failures(runs, kept_in=build.keep_failed(params.out, params.month),
                               key="error.notebooks_failed")

        _write_index(build.tmp, headline=headline, counts=counts, pages=pages, ds=ds,
                     params=params, notes=[*skip_notes, *headline.notes], trends=year.trends)
        shutil.rmtree(build.tmp / _SNAPSHOT)  # raw buyer ids: never part of a pack
        clock.step("index", t)
        return _finish(build, params, ds, clock, runs, began)
    finally:
        if pool is not None:
            pool.close()
        build.cleanup()


def _finish(build: _Build, params: PackParams, ds: Dataset, clock: _Clock,
            runs: list[NotebookRun], began: float) -> PackResult:
    """Write the manifest and swap the pack into place."""
    result = PackResult(build.target, params, clock.steps, {r.name: r.seconds for r in runs})
    outputs_written = sorted(p for p in build.tmp.rglob("*")
                             if p.is_file() and p.name != _OWNER)
    parameters = {k: v for k, v in params.notebook_parameters(Path(), Path()).items()
                  if k not in {"data_dir", "views_dir"}}
    manifest = build_manifest(parameters=parameters, ds=ds, data_dir=params.data_dir,
                              steps=clock.steps, steps_cpu=clock.cpu,
                              notebooks=result.notebooks,
                              outputs=outputs_written, pack_dir=build.tmp)
    outputs.write_json(manifest, build.tmp / "manifest.json")
    build.finish()
    result.outputs = ([build.target / p.relative_to(build.tmp) for p in outputs_written]
                      + [build.target / "manifest.json"])
    result.seconds = time.perf_counter() - began
    return result
