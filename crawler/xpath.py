"""Compiled XPath expressions typed by what they return.

lxml-stubs type every XPath call as the union of all XPath results (bool, float, str, list of
nodes or strings); these return the same compiled `etree.XPath`, only telling mypy which one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from lxml import etree
from lxml.html import HtmlElement


def elements_xpath(path: str, **options: Any) -> Callable[[HtmlElement], list[HtmlElement]]:
    """An expression selecting elements (HtmlElement: the HTML parser makes every element one)."""
    return cast(Callable[[HtmlElement], list[HtmlElement]], etree.XPath(path, **options))


def strings_xpath(path: str, **options: Any) -> Callable[[HtmlElement], list[str]]:
    """An expression selecting attribute values or text nodes."""
    return cast(Callable[[HtmlElement], list[str]], etree.XPath(path, **options))


def number_xpath(path: str, **options: Any) -> Callable[[HtmlElement], float]:
    """An expression computing a number (count(), string-length()): XPath numbers are floats."""
    return cast(Callable[[HtmlElement], float], etree.XPath(path, **options))
