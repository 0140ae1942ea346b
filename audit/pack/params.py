"""Checking the monthly pack's parameters before any of them reaches a notebook.

Papermill injects parameters as Python literals into a cell. We only ever hand it plain strings
that already passed a strict check (a month is ``YYYY-MM``, an as-of date is ``YYYY-MM-DD``, a
shop id is a short token that exists in the data, lang is ``en`` or ``zh``), so nothing typed on
the command line can become code, and a bad value fails in one line before a kernel starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from audit.core.dates import parse_as_of, parse_month
from audit.core.errors import ParameterError
from audit.core.labels import Lang, check_lang

if TYPE_CHECKING:
    from datetime import date, datetime

#: Shop ids are short tokens in every export we know; anything else is refused before it is used.
_SHOP = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


@dataclass(frozen=True)
class PackParams:
    """The monthly pack's parameters, checked and normalised.

    ``as_of`` and ``shop`` may be empty strings here: ``as_of`` is resolved from the data
    (``Dataset.last_activity``) and ``shop`` is checked against the data once it is loaded.
    """

    data_dir: Path
    month: str
    as_of: str
    shop: str
    lang: Lang
    out: Path
    sla_hours: float = 24.0
    window: int = 14

    @property
    def month_bounds(self) -> tuple[date, date]:
        """First and last day of the report month."""
        return parse_month(self.month)

    def notebook_parameters(self, views_dir: Path, data_dir: Path) -> dict[str, str]:
        """The papermill parameters (plain strings).

        The report notebooks show the saved views (``views_dir``); ``data_dir`` (the validated
        snapshot) is there for a shop's own notebooks that read the tables themselves.
        """
        return {"views_dir": str(views_dir), "data_dir": str(data_dir), "month": self.month,
                "as_of": self.as_of, "shop": self.shop, "lang": self.lang,
                "sla_hours": str(self.sla_hours), "window": str(self.window)}


def check_params(
    data_dir: Path | str,
    *,
    month: str,
    as_of: str | None = None,
    shop: str | None = None,
    lang: str = "en",
    out: Path | str = "reports",
    sla_hours: float = 24.0,
    window: int = 14,
) -> PackParams:
    """Validate the monthly pack's parameters; raise ``ParameterError`` with one line otherwise.

    Examples
    --------
    >>> check_params(".", month="2026-10", lang="zh").month
    '2026-10'
    >>> check_params(".", month="2026-13")
    Traceback (most recent call last):
    ...
    audit.core.errors.ParameterError: month '2026-13' has no month 13; expected 01-12
    """
    data = Path(data_dir).resolve()
    if not data.is_dir():
        raise ParameterError.worded(key="error.data_folder", path=repr(str(data)))
    if not isinstance(month, str):
        raise ParameterError.worded(key="error.month_format", value=repr(month))
    first, _ = parse_month(month)
    month_text = month.strip()
    as_of_text = "" if as_of is None else str(as_of).strip()
    if as_of_text:
        if parse_as_of(as_of_text).date() < first:
            raise ParameterError.worded(key="error.as_of_before_month", as_of=as_of_text,
                                        month=month_text)
    shop_text = "" if shop is None else str(shop).strip()
    if shop_text and not _SHOP.fullmatch(shop_text):
        raise ParameterError.worded(key="error.shop_format", value=repr(shop))
    # Absolute from here on: notebooks run in threads, and a relative path must not depend on
    # whatever the process's working directory is when a lazy scan finally runs.
    out_dir = Path(out).resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError.worded(key="error.out_not_folder", path=repr(str(out_dir)))
    from audit.impact.analysis import check_window
    from audit.resolution.job import check_sla

    return PackParams(data_dir=data, month=month_text, as_of=as_of_text, shop=shop_text,
                      lang=check_lang(lang), out=out_dir, sla_hours=check_sla(float(sla_hours)),
                      window=check_window(int(window)))


def resolve_as_of(params: PackParams, last_activity: datetime) -> PackParams:
    """``params`` with an empty ``as_of`` replaced by the data's last day of activity.

    Every notebook and the index then use the same explicit date, and the manifest records it.
    """
    if params.as_of:
        return params
    as_of = last_activity.date()
    if as_of < params.month_bounds[0]:
        raise ParameterError.worded(key="error.data_ends_before", day=as_of.isoformat(),
                                    month=params.month)
    return replace(params, as_of=as_of.isoformat())


def check_shop(params: PackParams, shops: set[str]) -> None:
    """Raise ``ParameterError`` when ``params.shop`` is set but absent from the data."""
    if params.shop and params.shop not in shops:
        known = ", ".join(sorted(shops)[:10]) or "none"
        raise ParameterError.worded(key="error.shop_unknown", shop=repr(params.shop), known=known)
