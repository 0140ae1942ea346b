"""The words of a report page, from the label files, in the reader's language.

A notebook's headings and paragraphs are labels (``<key>.title``, ``<key>.text``), not
markdown cells, so the zh pack reads Chinese from the first heading to the last note and a
page cannot keep an English paragraph by accident. Headings carry a stable ``id`` (the index's
numbers link to them: ``promises.html#chase``). Paragraph labels are Markdown (``*emphasis*``,
``**bold**``, lists) with ``{name}`` placeholders filled by the caller (already formatted).
"""

from __future__ import annotations

import html

from audit.core.labels import has_label, label


def heading_html(key: str, lang: str, *, level: int = 2, anchor: str | None = None,
                 **values: object) -> str:
    """``<h2 id="anchor">title</h2>`` for label ``key`` (``key.title`` when that exists)."""
    text = label(f"{key}.title" if has_label(f"{key}.title") else key, lang).format(**values)
    ident = f' id="{html.escape(anchor)}"' if anchor else ""
    return f"<h{level}{ident}>{html.escape(text)}</h{level}>"


def section(key: str, lang: str, *, level: int = 2, anchor: str | None = None,
            **values: object) -> None:
    """Show a section's heading and, when ``key.text`` exists, its paragraph."""
    from IPython.display import HTML, Markdown, display

    display(HTML(heading_html(key, lang, level=level, anchor=anchor, **values)))
    if has_label(f"{key}.text"):
        display(Markdown(label(f"{key}.text", lang).format(**values)))


def paragraph(key: str, lang: str, **values: object) -> None:
    """Show one paragraph label (Markdown) with its placeholders filled."""
    from IPython.display import Markdown, display

    display(Markdown(label(key, lang).format(**values)))
