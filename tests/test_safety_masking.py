"""Masking buyers: identity columns and phone numbers inside free text (audit.core.masking)."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from audit.core.masking import mask_buyers, mask_expr, scrub_text_expr

phones = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
# Text around a phone number: anything without digits right next to it.
no_digits = st.characters(codec="utf-8", exclude_categories=("Nd", "Cs"))
padding = st.text(alphabet=no_digits, max_size=20)


@given(before=padding, phone=phones, after=st.text(alphabet=no_digits, min_size=1, max_size=20),
       phone2=phones)
def test_every_phone_in_text_is_masked(before: str, phone: str, after: str, phone2: str) -> None:
    text = f"{before}{phone}{after}{phone2}"  # ``after`` keeps them two numbers, not one
    out = pl.DataFrame({"t": [text]}).select(scrub_text_expr("t")).item()
    assert phone not in out
    assert phone2 not in out
    assert f"{phone[:3]}****{phone[-4:]}" in out
    assert len(out) == len(text)  # only digits replaced, nothing else touched


def test_two_phones_one_character_apart_are_both_masked() -> None:
    out = pl.DataFrame({"t": ["13812345678/13987654321"]}).select(scrub_text_expr("t")).item()
    assert out == "138****5678/139****4321"


@given(digits=st.from_regex(r"[0-9]{12,20}", fullmatch=True))
def test_longer_numbers_are_left_alone(digits: str) -> None:
    """Order ids are long digit strings: an 11-digit window inside them is not a phone."""
    out = pl.DataFrame({"t": [f"order {digits} ok"]}).select(scrub_text_expr("t")).item()
    assert out == f"order {digits} ok"


@given(value=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Nd", "Cs"),
                                            exclude_characters="*"), min_size=3, max_size=40))
def test_masked_id_keeps_only_first_and_last_character(value: str) -> None:
    """Every id of 3+ characters (not a phone) becomes first + *** + last: length hidden too."""
    out = pl.DataFrame({"b": [value]}).select(mask_expr("b")).item()
    assert out == f"{value[0]}***{value[-1]}"


def test_mask_buyers_masks_ids_and_scrubs_every_other_text_column() -> None:
    df = pl.DataFrame({"buyer_id": ["tb_45354152628"], "review_text": ["call 13812345678"],
                       "detail": ["phone 15900001111 twice"], "n": [13812345678]})
    out = mask_buyers(df)
    assert out.row(0) == ("t***8", "call 138****5678", "phone 159****1111 twice", 13812345678)
    assert isinstance(mask_buyers(df.lazy()), pl.LazyFrame)
