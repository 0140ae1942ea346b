"""Builders the tests share: small hand-made frames, export folders and notebooks.

Not test modules (pytest collects nothing here); imported as ``from builders.promises import P``.
"""
