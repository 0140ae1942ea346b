"""The ``review-audit`` command line: parse options, call one library function, map errors.

Kept thin on purpose (as papermill's ``cli.py``): every command imports its library lazily, so
``review-audit --help`` starts fast and a command never pays for another's imports (GX costs
seconds). Known errors become one line on stderr and an exit code: 2 for structural and
parameter errors and for faults writing the outputs (read-only folder, full disk: the message
names the path), 1 for "ran, but rows were quarantined" where a command says so.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer

from audit.core.errors import (
    AuditError,
    NotebookFailed,
    OutputError,
    ParameterError,
    Phrase,
    StructuralError,
)
from audit.core.labels import LANGS, label

if TYPE_CHECKING:
    from collections.abc import Callable

app = typer.Typer(
    name="review-audit",
    help="Audit an after-sales team's handling log: broken promises, review resolution, "
    "the sales impact of explanations, and the monthly management pack.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

P = ParamSpec("P")
R = TypeVar("R")

DataDir = Annotated[
    Path,
    typer.Argument(help="Folder of exports, one file per table (reviews.csv, promises.xlsx, ...)."),
]


# The Spark engine (audit/spark, the optional `spark` extra): the same commands on a platform.
Engine = Annotated[str, typer.Option(
    "--engine", help="embedded (polars, default) or spark: DATA_DIR of Parquet files or "
    "datasets, every output table written as Parquet partitioned by shop_id.")]
SparkMaster = Annotated[str | None, typer.Option(
    "--spark-master", help="Spark master URL (default local[2]).")]


def _spark_run(data_dir: Path, out: Path, jobs: tuple[str, ...], master: str | None,
               **options: object) -> None:
    from audit.spark.commands import run

    ds, written = run(data_dir, out, jobs, master=master, **options)
    typer.echo(f"spark: {len(written)} tables written to {out} (partitioned by shop_id); "
               f"{ds.rows_quarantined:,} rows quarantined")


def _fail(message: str, code: int, lang: str) -> typer.Exit:
    typer.echo(label("error.prefix", lang) + message, err=True)
    return typer.Exit(code)


def _os_error(exc: OSError) -> OutputError:
    """One line for an operating-system fault: what failed, on which path."""
    from audit.data.outputs import write_error

    where = exc.filename if exc.filename is not None else Phrase("error.out_folder")
    return write_error(exc, where)


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn the toolkit's known errors into a one-line message and an exit code (no traceback).

    The line is in the command's ``--lang`` when it has one (English otherwise).
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        lang = kwargs.get("lang")
        lang = lang if lang in LANGS else "en"
        try:
            return fn(*args, **kwargs)
        except (StructuralError, ParameterError, OutputError) as exc:
            raise _fail(exc.in_words(lang), 2, lang) from None
        except OSError as exc:  # a fault outside the writers (a folder made, a file moved)
            raise _fail(_os_error(exc).in_words(lang), 2, lang) from None
        except NotebookFailed as exc:
            raise _fail(exc.in_words(lang), 1, lang) from None
        except AuditError as exc:
            raise _fail(exc.in_words(lang), 1, lang) from None

    return wrapper


def _print_version(value: bool) -> None:  # noqa: FBT001 - typer's callback signature
    if value:
        from importlib.metadata import version

        typer.echo(f"review-audit {version('review-audit')}")
        raise typer.Exit


@app.callback()
def _root(
    _version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                           help="Print the version and exit.")] = False,
) -> None:
    """Audit an after-sales team's handling log (see ``review-audit COMMAND --help``)."""


@app.command()
@handles_errors
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the demo exports into.")],
    seed: Annotated[int, typer.Option(help="Random seed; same seed, byte-identical files.")] = 7,
    months: Annotated[int, typer.Option(help="Whole months of reviews.")] = 3,
    end_month: Annotated[str, typer.Option(help="Last report month, YYYY-MM.")] = "2026-10",
    shops: Annotated[int, typer.Option(help="Number of shops.")] = 3,
    no_effect: Annotated[
        bool, typer.Option("--no-effect", help="Generate sales with no explanation lift.")
    ] = False,
) -> None:
    """Write a seeded demo dataset with known defects and effects (truth in OUT/truth/)."""
    from audit.demo import DemoSpec, generate_demo

    spec = DemoSpec(seed=seed, months=months, end_month=end_month, shops=shops,
                    effect=not no_effect)
    counts = generate_demo(out, spec)
    summary = ", ".join(f"{name} {n:,}" for name, n in counts.items())
    typer.echo(f"demo data written to {out} ({summary}); truth in {out / 'truth'}")


# --- validate ----------------------------------------------------------------------------------


@app.command()
@handles_errors
def validate(
    data_dir: DataDir,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write quarantined rows to OUT/quarantine/.")
    ] = None,
    engine: Engine = "embedded",
    spark_master: SparkMaster = None,
) -> None:
    """Check every export against its data contract; quarantine rows that break it.

    Exit 0 when all rows pass, 1 when rows were quarantined, 2 on a structural error.
    Fully blank rows are skipped and counted, not quarantined.
    """
    from rich.console import Console
    from rich.table import Table

    from audit.data.dataset import SUMMARY_COLUMNS, load_dataset, summary_rows, write_quarantine
    from audit.spark.commands import check_engine

    spark = check_engine(engine)
    if spark:
        from audit.spark.commands import validate as spark_validate
    ds = spark_validate(data_dir, out, master=spark_master) if spark else load_dataset(data_dir)
    summary = Table(title=f"validate {data_dir}")
    for column in SUMMARY_COLUMNS:
        summary.add_column(column, justify="right" if column in {"read", "valid",
                           "quarantined", "blank"} else "left")
    for row in summary_rows(ds):
        summary.add_row(*row)
    console = Console(soft_wrap=True)
    console.print(summary)
    for name, report in ds.reports.items():
        if report.rows_blank:
            console.print(f"{name}: {report.rows_blank:,} fully blank row(s) skipped",
                          markup=False, highlight=False)
        for rule, count in report.top_reasons:
            console.print(f"{name}: {count:,} row(s): {rule}", markup=False, highlight=False)
        for note in report.notes:
            console.print(f"{name}: note: {note}", markup=False, highlight=False)
    if out is not None:
        written = list(ds.quarantine) if spark else write_quarantine(ds, out, for_owner=True)
        typer.echo(f"quarantine files: {len(written)} in {out / 'quarantine'}")
    if ds.rows_quarantined:
        typer.echo(f"{ds.rows_quarantined:,} row(s) quarantined", err=True)
        raise typer.Exit(1)


# --- promises ------------------------------------------------------------------------------------


@app.command()
@handles_errors
def promises(
    data_dir: DataDir,
    out: Annotated[Path, typer.Option("--out", help="Folder for the audit files.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Audit date YYYY-MM-DD (end of that day); default: "
                     "the last day with activity in the data."),
    ] = None,
    engine: Engine = "embedded",
    spark_master: SparkMaster = None,
) -> None:
    """Match promises to payments: broken, late, partial, duplicate and unpromised money."""
    from audit.promises.job import run_promises
    from audit.spark.commands import check_engine

    if check_engine(engine):
        return _spark_run(data_dir, out, ("promises",), spark_master, as_of=as_of)

    run, written = run_promises(data_dir, out, as_of=as_of)
    if run.quarantined:
        typer.echo(f"note: {run.quarantined:,} rows quarantined (see {out / 'quarantine'}); "
                   "the audit used the valid rows", err=True)
    typer.echo(f"promise audit as of {run.as_of:%Y-%m-%d} written to {out}: "
               + ", ".join(p.name for p in written.values()))
    h = run.views.headline
    if run.views.chat_checked:
        typer.echo(f"chat: {h['chat_offers']:,} offers, {h['chat_not_logged']:,} never logged, "
                   f"{h['chat_conditional_not_declared']:,} tied to the review but logged as "
                   "unconditional")
    else:
        typer.echo("chat: no messages table, so offers made in chat were not checked")


# --- resolution ----------------------------------------------------------------------------------


@app.command()
@handles_errors
def resolution(
    data_dir: DataDir,
    month: Annotated[str, typer.Option("--month", help="Cohort month YYYY-MM (review posted).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the result files.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="YYYY-MM-DD; default: the last day with activity."),
    ] = None,
    sla_hours: Annotated[float, typer.Option(help="First-contact SLA in hours.")] = 24.0,
    shop: Annotated[str | None, typer.Option(help="Only this shop_id.")] = None,
    engine: Engine = "embedded",
    spark_master: SparkMaster = None,
) -> None:
    """Resolution rates by category and agent, timeliness and contact-protocol checks."""
    from audit.resolution.job import run_resolution
    from audit.spark.commands import check_engine

    if check_engine(engine):
        return _spark_run(data_dir, out, ("resolution",), spark_master, month=month,
                          as_of=as_of, sla_hours=sla_hours, shop=shop)

    written = run_resolution(data_dir, out, month=month, as_of=as_of, sla_hours=sla_hours,
                             shop=shop)
    typer.echo(f"resolution for {month} written to {out}: "
               + ", ".join(p.name for p in written.values()))


# --- tier ----------------------------------------------------------------------------------------


@app.command()
@handles_errors
def tier(
    data_dir: DataDir,
    out: Annotated[Path, typer.Option("--out", help="Folder for review_tiers.csv.")],
) -> None:
    """Tier every neutral/negative review from its own text; compare with the logged category.

    Only a reviews export is required; with a cases export, log_category and agrees are filled.
    """
    from audit.tiering.job import run_tiering

    frame, path = run_tiering(data_dir, out)
    disagree = frame.filter(frame["agrees"].not_()).height
    typer.echo(f"{frame.height:,} reviews tiered, {disagree:,} disagree with the log; "
               f"written to {path}")


# --- impact --------------------------------------------------------------------------------------


@app.command()
@handles_errors
def impact(
    data_dir: DataDir,
    out: Annotated[Path, typer.Option("--out", help="Folder for the result files.")],
    window: Annotated[int, typer.Option(help="Days before/after each event.")] = 14,
    event: Annotated[
        str | None,
        typer.Option(help="explanation or resolution; default: both."),
    ] = None,
    engine: Engine = "embedded",
    spark_master: SparkMaster = None,
) -> None:
    """Do explanations and resolved reviews lift conversion? A staggered event study."""
    from audit.impact.job import run_impact
    from audit.impact.views import summary_lines
    from audit.spark.commands import check_engine

    if check_engine(engine):
        return _spark_run(data_dir, out, ("impact",), spark_master, window=window, event=event)

    views, _ = run_impact(data_dir, out, window=window, event=event)
    for line in summary_lines(views.result):
        typer.echo(line)
    typer.echo(f"impact results written to {out}")


# --- platform (Spark) -----------------------------------------------------------------------------


@app.command()
@handles_errors
def platform(
    data_dir: DataDir,
    month: Annotated[str, typer.Option("--month", help="Report month YYYY-MM.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the platform's tables.")],
    engine: Engine = "spark",
    spark_master: SparkMaster = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD; default: last day with activity.")
    ] = None,
    packs: Annotated[
        str | None, typer.Option(help="Comma-separated shop_ids: build their monthly packs "
                                 "from OUT's tables (no Spark) into OUT/packs/<shop>/.")
    ] = None,
) -> None:
    """Every job for every shop (Spark): every output table, partitioned by shop_id.

    With --packs and an existing OUT, only the listed shops' packs are built (no Spark).
    """
    from audit.spark.commands import check_engine
    from audit.spark.commands import platform as run_platform

    if not check_engine(engine):
        raise ParameterError.worded(key="error.platform_engine")
    if packs:
        from audit.spark.packs import build_packs

        built = build_packs(out, [s.strip() for s in packs.split(",") if s.strip()],
                            month=month, out=out / "packs")
        typer.echo(f"{len(built)} pack(s) written to {out / 'packs'}")
        return
    ds, written = run_platform(data_dir, out, month=month, master=spark_master, as_of=as_of)
    typer.echo(f"platform {month}: {len(written)} tables written to {out} (partitioned by "
               f"shop_id); {ds.rows_quarantined:,} rows quarantined")


# --- monthly pack and lab ------------------------------------------------------------------------


@app.command()
@handles_errors
def monthly(
    data_dir: DataDir,
    month: Annotated[str, typer.Option("--month", help="Report month YYYY-MM.")],
    out: Annotated[Path, typer.Option("--out", help="Reports folder (pack goes to OUT/MONTH/).")]
    = Path("reports"),
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD; default: last day with activity.")
    ] = None,
    shop: Annotated[str | None, typer.Option(help="Only this shop_id.")] = None,
    lang: Annotated[str, typer.Option(help="Labels: en or zh.")] = "en",
    sla_hours: Annotated[float, typer.Option(help="First-contact SLA in hours.")] = 24.0,
    window: Annotated[int, typer.Option(help="Days before/after each event (impact).")] = 14,
) -> None:
    """Build the monthly management pack: validated data, notebooks, HTML, Excel, manifest.

    The pack goes to OUT/MONTH/ only when complete (an earlier pack survives a failure); a
    failing notebook stops the run, and its executed copy is kept in OUT/MONTH.failed/.
    """
    import warnings

    from rich.console import Console

    from audit.pack.build import build_monthly_pack

    # GX imports PySpark when the spark extra is installed, and PySpark then warns (in English)
    # about the pandas version: nothing the manager reading these lines can act on.
    warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    result = build_monthly_pack(data_dir, month=month, as_of=as_of, shop=shop, lang=lang,
                                out=out, sla_hours=sla_hours, window=window,
                                progress=lambda line: console.print(line, markup=False))
    from audit.core.fmt import fmt_seconds

    seconds = fmt_seconds(result.seconds, lang)
    typer.echo(label("progress.written", lang).format(path=result.pack_dir / "index.html",
                                                      seconds=seconds))


@app.command()
@handles_errors
def lab(
    data: Annotated[
        Path | None, typer.Option(help="Demo data folder (default: data/demo in the repository; "
                                  "generated when absent).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port for JupyterLab.")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")]
    = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Prepare the data, print the command, do not start.")
    ] = False,
) -> None:
    """Open JupyterLab at the project root with the demo data ready (notebooks default to it)."""
    import subprocess

    from audit.pack.lab import ensure_demo, lab_command, project_root

    root = project_root()
    target = data or root / "data" / "demo"
    if ensure_demo(target):
        typer.echo(f"demo data generated in {target}")
    argv = lab_command(root, port=port, browser=not no_browser)
    typer.echo(" ".join(argv))
    if not dry_run:
        raise typer.Exit(subprocess.call(argv))  # noqa: S603 - our own interpreter and module


def main() -> None:  # pragma: no cover - console entry point
    """Entry point that also works as ``python -m audit.cli``."""
    app(prog_name="review-audit")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
