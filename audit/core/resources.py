"""Where the files that ship with the package live: contracts, notebooks, label files.

A checkout keeps ``data_contracts/`` and ``notebooks/`` at the repository's top level (the layout
is fixed, and people edit them there); a wheel carries copies inside the package
(``audit/_data_contracts``, ``audit/_notebooks``, see ``pyproject.toml``). Every lookup goes
through :func:`shipped_folder`, so an installed toolkit run from any folder finds the same files
a checkout does, and no module guesses a path from its own ``__file__``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from audit.core.errors import StructuralError

#: Top-level folder in a checkout -> its copy inside an installed package.
SHIPPED: dict[str, str] = {"data_contracts": "_data_contracts", "notebooks": "_notebooks"}


def package_dir() -> Path:
    """The installed (or checked-out) ``audit`` package folder."""
    return Path(str(files("audit")))


def shipped_folder(name: str) -> Path:
    """The folder ``name`` (``data_contracts`` or ``notebooks``): packaged copy, else checkout.

    The packaged copy wins: a wheel installed into a venv must never read a stray checkout.

    >>> shipped_folder("data_contracts").joinpath("reviews.json").is_file()
    True
    """
    pkg = package_dir()
    for candidate in (pkg / SHIPPED[name], pkg.parent / name):
        if candidate.is_dir():
            return candidate
    raise StructuralError.worded(key="error.install_folder", name=name, pkg=pkg)


def checkout_root() -> Path | None:
    """The repository root when running from a checkout (``pyproject.toml`` beside the package)."""
    root = package_dir().parent
    return root if (root / "pyproject.toml").is_file() and (root / "audit").is_dir() else None
