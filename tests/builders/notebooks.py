"""Helpers shared by the report tests: tiny report notebooks and planted demo data.

Importable from other test modules (pytest puts ``tests/`` on ``sys.path``); the one test here
checks the helper notebooks are what the runner expects.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import polars as pl

PARAMETERS = 'data_dir = "../data/demo"\nmonth = "2026-10"\nas_of = ""\nshop = ""\nlang = "en"'

#: A report-like notebook: loads the snapshot, shows a chart and an escaped, masked table with
#: review text (so planted ids, phones and <script> would surface in its outputs if unmasked).
BODY = """\
import plotly.graph_objects as go
import polars as pl
from audit.core.charts import show, show_table
from audit.data.dataset import load_dataset
from audit.core.masking import mask_buyers
ds = load_dataset(data_dir)
reviews = ds.tables["reviews"]
if shop:
    reviews = reviews.filter(pl.col("shop_id") == shop)
counts = reviews.group_by("rating").len().sort("rating").collect()
show(go.Figure(go.Bar(x=counts["rating"].to_list(), y=counts["len"].to_list())))
text = reviews.filter(pl.col("review_text").str.contains("<script>|1[0-9]{10}")).head(5)
show_table(mask_buyers(pl.concat([text, reviews.head(5)]).collect()))
print(month, as_of, shop, lang)
"""


def make_notebook(path: Path, *, body: str = BODY, fail: str | None = None) -> Path:
    """Write a small report notebook; ``fail`` adds a last cell raising ValueError(fail)."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"), params,
                nbformat.v4.new_code_cell(body)]
    if fail is not None:
        nb.cells.append(nbformat.v4.new_code_cell(f"raise ValueError({fail!r})"))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def tiny_notebooks(folder: Path, names: tuple[str, ...] = ("alpha", "beta")) -> Path:
    """A notebooks folder with the helper notebook under each name."""
    for name in names:
        make_notebook(folder / f"{name}.ipynb")
    return folder


def repo_notebooks() -> Path | None:
    """The repository's notebooks/ when it holds report notebooks, else None."""
    folder = Path(__file__).resolve().parents[1] / "notebooks"
    return folder if any(folder.glob("*.ipynb")) else None


#: What gets planted: a nickname-like buyer id, a phone number used as a buyer id, a phone
#: number and markup inside free text.
PLANTED_NICK = "王小明tbNick7788"
PLANTED_PHONE_ID = "13912345678"
PLANTED_PHONE_TEXT = "18687654321"
SCRIPT = "<script>alert('x')</script>"


def planted_copy(demo_dir: Path, target: Path) -> dict[str, str]:
    """Copy the demo exports to ``target`` with buyer identities and markup planted.

    The first two buyers (by first appearance in reviews.csv) become PLANTED_NICK and
    PLANTED_PHONE_ID everywhere (reviews and fulfilments); the first reviews' texts get a phone
    number and a script tag; so do the explanations among the first 200 reviews. Returns the
    planted strings.
    """
    shutil.copytree(demo_dir, target, ignore=shutil.ignore_patterns("truth"))
    reviews = pl.read_csv(target / "reviews.csv", infer_schema=False)
    buyers = reviews["buyer_id"].unique(maintain_order=True).to_list()
    mapping = {buyers[0]: PLANTED_NICK, buyers[1]: PLANTED_PHONE_ID}
    idx = pl.int_range(pl.len())
    reviews = reviews.with_columns(
        pl.col("buyer_id").replace(mapping),
        pl.when(idx < 20)
        .then(pl.lit(f"差评 {SCRIPT} 电话 {PLANTED_PHONE_TEXT} ")
              + pl.col("review_text").fill_null(""))
        .otherwise(pl.col("review_text")).alias("review_text"),
        pl.when(pl.col("explanation_text").is_not_null() & (idx < 200))
        .then(pl.lit(f"{SCRIPT} 联系 {PLANTED_PHONE_TEXT}"))
        .otherwise(pl.col("explanation_text")).alias("explanation_text"),
    )
    # One row that breaks the reviews contract (unknown rating): it must be quarantined, reported,
    # and written to quarantine/ with the buyer masked.
    bad = reviews.head(1).with_columns(pl.lit("RQ000001").alias("review_id"),
                                       pl.lit("terrible").alias("rating"),
                                       pl.lit(PLANTED_NICK).alias("buyer_id"))
    pl.concat([reviews, bad]).write_csv(target / "reviews.csv")
    fpath = target / "fulfilments.csv"
    if fpath.is_file():
        f = pl.read_csv(fpath, infer_schema=False)
        if f.height and "buyer_id" in f.columns:
            f.with_columns(pl.col("buyer_id").replace(mapping)).write_csv(fpath)
    return {"nick": PLANTED_NICK, "phone_id": PLANTED_PHONE_ID, "phone_text": PLANTED_PHONE_TEXT}
