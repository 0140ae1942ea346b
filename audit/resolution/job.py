"""The ``review-audit resolution`` job: load, analyse, mask, write the CSV files.

Kept apart from :mod:`audit.resolution.analysis` so the analysis stays pure (frames in, frames out) and
the CLI stays thin: this is the one place where the resolution analysis touches files.
"""

from __future__ import annotations

from pathlib import Path

from audit.core.masking import mask_buyers
from audit.data import outputs
from audit.resolution.analysis import analyse_resolution, collect_outputs

#: Output file per ResolutionAudit field (the first five are the issue's contract).
OUTPUT_FILES: dict[str, str] = {
    "by_agent": "resolution_by_agent.csv",
    "by_category": "resolution_by_category.csv",
    "by_agent_category": "resolution_by_agent_category.csv",
    "breaches": "protocol_breaches.csv",
    "unverified": "unverified_claims.csv",
    "workload": "resolution_workload.csv",
    "backlog": "resolution_backlog.csv",
}
REQUIRED_TABLES: tuple[str, ...] = ("reviews", "cases", "contacts", "agents")


def run_resolution(
    data_dir: Path | str,
    out_dir: Path | str,
    *,
    month: str,
    as_of: str | None = None,
    sla_hours: float = 24.0,
    shop: str | None = None,
) -> dict[str, Path]:
    """Analyse one cohort month of ``data_dir`` and write the result files into ``out_dir``.

    Parameters
    ----------
    data_dir
        Exports folder or snapshot (``audit.data.dataset.load_dataset``).
    out_dir
        Created if missing; files are named as in ``OUTPUT_FILES``.
    month
        Cohort month ``YYYY-MM``.
    as_of
        ``YYYY-MM-DD`` (end of that day); ``None`` or ``""``: the data's last activity.
    sla_hours
        First-contact SLA in hours (must be positive).
    shop
        Only this shop_id; ``None`` or ``""``: all shops.

    Returns
    -------
    dict
        Field name -> path written.

    Raises
    ------
    ParameterError
        Malformed month, as-of date or SLA.
    StructuralError
        A required table (reviews, cases, contacts, agents) is absent or unreadable.
    """
    from audit.core.dates import parse_as_of, parse_month
    from audit.core.errors import ParameterError
    from audit.data.dataset import load_dataset

    month_start, month_end = parse_month(month)
    if not sla_hours > 0:
        msg = f"--sla-hours must be a positive number of hours, got {sla_hours}"
        raise ParameterError(msg)
    as_of_dt = parse_as_of(as_of) if as_of else None
    ds = load_dataset(data_dir, require=REQUIRED_TABLES)
    if as_of_dt is None:
        as_of_dt = ds.last_activity()
    t = ds.tables
    audit = analyse_resolution(
        t["reviews"], t["cases"], t["contacts"], t["agents"],
        month_start=month_start, month_end=month_end, as_of=as_of_dt,
        sla_hours=sla_hours, shop=shop or None,
    )
    frames = collect_outputs(audit, OUTPUT_FILES)
    out = Path(out_dir)
    written: dict[str, Path] = {}
    for field, name in OUTPUT_FILES.items():
        path = out / name
        outputs.write_csv(mask_buyers(frames[field]), path)
        written[field] = path
    return written
