"""Safety of the monthly pack: no buyer identity leaves unmasked, review text is escaped.

Buyer ids, a nickname, phone numbers (as a buyer id and inside review/explanation text) and a
``<script>`` tag are planted in the demo exports; the pack is built with the repository's report
notebooks (when present) plus a probe notebook that shows review text, and EVERY output file
(HTML, XLSX contents, CSV, JSON, ipynb) is searched for them.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import zipfile
from typing import TYPE_CHECKING

import polars as pl
import pytest
from builders.notebooks import (
    PLANTED_NICK,
    PLANTED_PHONE_ID,
    PLANTED_PHONE_TEXT,
    SCRIPT,
    make_notebook,
    planted_copy,
    repo_notebooks,
)

from audit.pack.build import build_monthly_pack

if TYPE_CHECKING:
    from pathlib import Path


_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _texts(path: Path) -> list[str]:
    """Every readable text of an output file, in forms a reader could see it."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            raw = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                            if n.endswith(".xml"))
    else:
        raw = path.read_text("utf-8", errors="replace")
    if path.suffix in {".json", ".ipynb"}:
        raw += json.dumps(json.loads(raw), ensure_ascii=False)
    decoded = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), raw)
    return [raw, decoded, html.unescape(decoded)]


@pytest.fixture(scope="module")
def planted_pack(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("planted")
    data = base / "data"
    planted = planted_copy(demo_dir, data)
    notebooks = base / "notebooks"
    notebooks.mkdir()
    real = repo_notebooks()
    if real is not None:
        for nb in real.glob("*.ipynb"):
            shutil.copy(nb, notebooks / nb.name)
    make_notebook(notebooks / "probe.ipynb")
    result = build_monthly_pack(data, month="2026-10", out=base / "reports",
                                notebooks_dir=notebooks)
    buyers = set(pl.read_csv(data / "reviews.csv", infer_schema=False)["buyer_id"])
    return result.pack_dir, planted, buyers


def _outputs(pack: Path) -> list[Path]:
    files = [p for p in pack.rglob("*") if p.is_file() and p.name != "plotly.min.js"]
    assert {p.suffix for p in files} >= {".html", ".xlsx", ".csv", ".json", ".ipynb"}
    return files


@pytest.mark.slow
def test_no_planted_identity_in_any_output_file(planted_pack) -> None:
    pack, planted, _ = planted_pack
    leaks = [(p.relative_to(pack).as_posix(), name) for p in _outputs(pack)
             for text in _texts(p) for name, value in planted.items() if value in text]
    assert not leaks, sorted(set(leaks))


@pytest.mark.slow
def test_no_real_buyer_id_in_any_output_file(planted_pack) -> None:
    pack, _, buyers = planted_pack
    pattern = re.compile(r"tb_\d{6,}")
    leaks = {(p.relative_to(pack).as_posix(), m) for p in _outputs(pack) for text in _texts(p)
             for m in pattern.findall(text) if m in buyers}
    assert not leaks, sorted(leaks)[:10]


@pytest.mark.slow
def test_review_text_is_shown_masked_and_escaped(planted_pack) -> None:
    pack, _, _ = planted_pack
    probe = (pack / "probe.html").read_text("utf-8")
    # The probe shows the planted reviews: their phone is masked, their markup escaped.
    assert f"{PLANTED_PHONE_TEXT[:3]}****{PLANTED_PHONE_TEXT[-4:]}" in probe
    assert html.escape(SCRIPT, quote=False) in probe or "&lt;script&gt;alert(" in probe
    for page in pack.glob("*.html"):
        assert "<script>alert(" not in page.read_text("utf-8"), page.name


@pytest.mark.slow
def test_quarantined_row_is_reported_and_masked(planted_pack) -> None:
    pack, _, _ = planted_pack
    q = pl.read_csv(pack / "quarantine" / "reviews.csv", infer_schema=False)
    assert q["review_id"].to_list() == ["RQ000001"]
    assert q["buyer_id"].to_list() == [f"{PLANTED_NICK[0]}***{PLANTED_NICK[-1]}"]
    dq = pl.read_csv(pack / "data" / "data_quality.csv").filter(pl.col("table") == "reviews")
    assert dq["rows_quarantined"].to_list() == [1]
    assert "1 rows were set aside" in (pack / "index.html").read_text("utf-8")
    assert PLANTED_NICK not in (pack / "quarantine" / "reviews.csv").read_text("utf-8")
    assert PLANTED_PHONE_ID not in (pack / "data" / "protocol_breaches.csv").read_text("utf-8")
