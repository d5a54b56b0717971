"""The shared element text reader gives lxml's text_content(), whatever the markup."""

from __future__ import annotations

import pytest
from lxml.html import HTMLParser, fromstring

from crawler.dom_text import text_content
from crawler.extract import parse_html

PAGES = [
    "<div>a<!-- note -->b<?pi x?><script>var x = '<p>';</script>&amp; &nbsp;&#8212; <p>p<b>b</b>t</p>tail"
    "<svg><text>s</text></svg>&unknown; </div>",
    "<html lang='tr'><body><ul><li>Çarşamba<br>İzmir</li><li><a href='/x'>Şehir</a> meclisi</li></ul>"
    "<table><tr><td>١٢</td><td>Ünye\u00ad köyü\u200b</td></tr></table></body></html>",
    "<article><h1>Título</h1><p>Die <i>Städte</i>partnerschaft<sup>1</sup> — 24. Februar 2024</p>"
    "<pre>  eingerückt\n\tTab</pre><textarea>roh <b>nicht</b></textarea></article>",
]


@pytest.mark.parametrize("page", PAGES, ids=["entities-comments", "turkish-arabic-digits", "inline-pre"])
@pytest.mark.parametrize("keep_comments", [True, False])
def test_text_content_is_lxmls_for_every_element(page: str, keep_comments: bool) -> None:
    # parse_html drops comments and processing instructions; lxml's own parser keeps them
    tree = fromstring(page, parser=HTMLParser()) if keep_comments else parse_html(page)
    elements = [elem for elem in tree.iter() if isinstance(elem.tag, str)]
    assert len(elements) > 5
    for elem in elements:
        assert text_content(elem) == elem.text_content(), elem.tag
