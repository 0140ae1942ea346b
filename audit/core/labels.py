"""Report labels in English and Chinese, kept as data beside the code that shows them.

Each part keeps its words beside its code: ``audit/<part>/labels.json`` (``promises``,
``resolution``, ``impact``, ``pack``, ...) maps a key to its texts,
``{"key": {"en": "...", "zh": "..."}}``. :func:`label` reads them all (found by globbing the
package, so this shared module imports no job), and a key defined twice is an error rather than
a silent override.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Literal, get_args

from audit.core.errors import ParameterError
from audit.core.resources import package_dir

Lang = Literal["en", "zh"]
LANGS: tuple[str, ...] = get_args(Lang)



def check_lang(lang: str) -> Lang:
    """Return ``lang`` when it is a supported language, else raise ``ParameterError``."""
    if lang not in LANGS:
        msg = f"lang must be one of {', '.join(LANGS)}, got {lang!r}"
        raise ParameterError(msg)
    return lang  # type: ignore[return-value]


@cache
def _all_labels() -> dict[str, dict[str, str]]:
    """Every label from every ``audit/*/labels.json``, checked for duplicates and gaps."""
    labels: dict[str, dict[str, str]] = {}
    origin: dict[str, str] = {}
    for path in sorted(package_dir().glob("*/labels.json")):
        try:
            data = json.loads(path.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            msg = f"label file {path.name} is not valid JSON: {exc}"
            raise ValueError(msg) from exc
        for key, texts in data.items():
            if key in labels:
                here = f"{path.parent.name}/{path.name}"
                msg = f"label {key!r} is defined in both {origin[key]} and {here}"
                raise ValueError(msg)
            missing = [lang for lang in LANGS if not isinstance(texts, dict) or lang not in texts]
            if missing:
                msg = f"label {key!r} in {path.name} lacks {', '.join(missing)}"
                raise ValueError(msg)
            labels[key] = texts
            origin[key] = f"{path.parent.name}/{path.name}"
    return labels


def label(key: str, lang: str) -> str:
    """The text of label ``key`` in ``lang`` (``en`` or ``zh``).

    Raises
    ------
    ParameterError
        ``lang`` is not ``en`` or ``zh``.
    KeyError
        No label file defines ``key`` (the message names the key and the folder).

    Examples
    --------
    >>> label("report.title", "en")
    'Monthly review audit'
    """
    check_lang(lang)
    labels = _all_labels()
    if key not in labels:
        msg = f"unknown label {key!r} (no audit/*/labels.json defines it)"
        raise KeyError(msg)
    return labels[key][lang]


def has_label(key: str) -> bool:
    """Whether some label file defines ``key`` (for optional labels such as column headers)."""
    return key in _all_labels()


def reload() -> None:
    """Forget the cached labels (after a label file changed, e.g. in a running notebook)."""
    _all_labels.cache_clear()
