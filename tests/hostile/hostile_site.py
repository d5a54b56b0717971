"""The hostile town: every misbehaviour of reliability.md §3 as one endpoint, crawled twice.

`Endpoint` is one row of the table the tests run over: the catalogue row, the behaviour the
test proves, what the server answers on night 1 (and, for a known article, on night 2), and
the `fetches` row and archive state the crawl must leave. Night 1 fetches everything for the
first time; night 2 finds the articles it stored and meets the failure then, so the previous
version must stay. Cases that change how the crawler treats a whole host (Retry-After, a site
down, traps) live on hosts of their own, so they slow nothing else.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from types import SimpleNamespace

from binary_files import FILES, png_file
from hostile_server import ARTICLE_TEXT, HostileServer, Reply
from misbehaviours import (HTML, brotli_bomb, drip, endless_chunked, gzip_bomb, head, raw, reset_mid_body,
                           truncated_gzip)

MiB = 1024 * 1024
DOWNLOAD_TIMEOUT = 3  # seconds; the hanging endpoints hang longer than the crawl waits
HANG = 3 * DOWNLOAD_TIMEOUT
UMLAUT_TEXT = ("Die Bürgerinnen und Bürger der Partnerstädte trafen sich zum Austausch über Wasserversorgung, "
               "Müllentsorgung und Schulbau. „Wir lernen voneinander“, sagte die Bürgermeisterin – "
               "der Fonds umfasst 5.000 € für größere Projekte und Fußwege. ")


def page(title: str, text: str = ARTICLE_TEXT, head_html: str = "", extra: str = "") -> str:
    return (f"<html lang='de'><head><title>{title}</title>{head_html}</head><body><nav>Start | Aktuelles</nav>"
            f"<article><h1>{title}</h1><p>Musterstadt, 24. Februar 2024. {title}: {text}</p><p>{text} ({title})</p>{extra}"
            f"</article><footer>Impressum</footer></body></html>")


def html(body: str | bytes, content_type: str = HTML, status: int = 200, **headers: str) -> Reply:
    data = body.encode() if isinstance(body, str) else body
    return Reply(status, data, {"Content-Type": content_type, **headers})


def article(title: str) -> Reply:
    return html(page(title))


@dataclass
class Endpoint:
    """One misbehaving URL and what the crawl must make of it."""

    row: str  # reliability.md §3 row
    path: str  # under the town's /news/
    behaviour: str  # what the test proves: its id
    answer: Reply  # night 1
    outcome: str  # the fetches row of the night the misbehaviour is met
    detail: str | None = None  # exact detail, or a regex when it starts with "^"
    status: int | None = None  # the row's http_status
    versions: int = 0  # versions of the article after that night
    night2: Reply | None = None  # a known article (stored on night 1) that misbehaves on night 2
    row_url: str | None = None  # the URL the row is filed under, when not the linked one (a refused hop)
    text: str | None = None  # a phrase the stored text must hold
    missing: str | None = None  # the crawler does not do this yet: the test is a strict xfail saying why

    @property
    def night(self) -> int:
        return 2 if self.night2 is not None else 1

    def detail_matches(self, detail: str | None) -> bool:
        if self.detail is not None and self.detail.startswith("^"):
            return detail is not None and re.search(self.detail, detail) is not None
        return detail == self.detail


def _cut_html(title: str) -> bytes:
    """The page of `_long(title)` dropped in its first paragraph: head and a third of the text, no end."""
    body = _long(title).encode()
    return body[: body.index(b"</p>") - 40]


def _long(title: str) -> str:
    # every paragraph names the title: paragraphs repeated on other pages would be learned as template
    return page(title, extra="".join(f"<p>{title}, Teil {n}: {text}</p>" for n, text in
                                     enumerate((UMLAUT_TEXT, ARTICLE_TEXT, UMLAUT_TEXT), 3)))


def _deep(levels: int) -> bytes:
    return (("<html><body>" + "<div>" * levels + f"<p>{ARTICLE_TEXT * 3}</p>" + "</div>" * levels
             + "</body></html>").encode())


def paragraphs(count: int) -> bytes:
    """Many short paragraphs: cheap to send, slow for trafilatura (reliability.md C13)."""
    return ("<html><body><article>" + "".join(f"<p>Absatz {n} über die Partnerschaft.</p>" for n in range(count))
            + "</article></body></html>").encode()


def _raw_page(status_line: str, headers: list[str], body: bytes) -> Reply:
    return raw((f"{status_line}\r\n" + "".join(f"{h}\r\n" for h in headers) + "\r\n").encode("latin-1") + body)


REFUSED = "^\\S+ is not an allowed host and port of this source \\(redirected from http://127"
ARTICLE = page("Wasser für Ntoro").encode()
BOILERPLATE = ("<html><body><nav>Start / Aktuelles / Kontakt</nav><div class='cookie'>Wir verwenden Cookies."
               "</div><footer>Impressum · Datenschutz</footer></body></html>")
COOKIE_WALL = ("<html lang='de'><body><div class='consent'><h1>Bitte stimmen Sie zu</h1><p>Wir und unsere "
               "Partner verwenden Cookies. Bitte stimmen Sie der Nutzung zu, um fortzufahren.</p>"
               "<button>Alle akzeptieren</button></div></body></html>")
VOLATILE = "<p>Aktualisiert am 03.12.2026 14:02:11 – Besucher heute: 4711</p>"
MALFORMED = ("<html><head><title>Kaputt</title><script>var s = '</div><p>Skriptzeile</p>';</script></head>"
             "<body><div><article><h1>Kaputt aber lesbar<p>Die Partnerschaft mit Ntoro wächst. "
             f"{ARTICLE_TEXT}<p>{ARTICLE_TEXT} (kaputt)<div></article></span></body>")
COLSPAN = (f"<html><body><article><h1>Tabelle</h1><p>Tabelle: {ARTICLE_TEXT}</p><p>{ARTICLE_TEXT} (Tabelle)</p><table>"
           "<tr><td colspan='65534' rowspan='65534'>Zelle</td></tr>"
           "<tr><td colspan='99999999'>Riesig</td></tr></table></article></body></html>")
MIXED = ("Die Stadt und ihre Partner treffen sich. The partners met in the town hall today. "
         "Wir bauen Schulen. We build schools together with the city. ") * 4


def town_endpoints(site: HostileServer, secret: HostileServer, other: HostileServer, closed_port: int) -> list[Endpoint]:
    """The endpoints of the main town, night 1 and night 2; `site` is where they are served."""
    port = site.port
    loop_b = Reply(302, b"", {"Location": "/news/h13-ping"})
    site.routes["/news/h13-pong"] = loop_b
    site.routes["/news/h17-target"] = article("Relativ weitergeleitet")
    return [
        # --- 3.1 HTTP and transport, first fetch ---------------------------------------------------
        Endpoint("H1", "h1-500", "500_every_time_is_an_http_error_and_stores_nothing",
                 html("Fehler", status=500), "error", "HttpError", 500),
        Endpoint("H5", "h5-hang", "headers_that_never_arrive_time_out",
                 Reply(200, ARTICLE, {"Content-Type": HTML}, delay=HANG), "error", "DownloadTimeoutError"),
        Endpoint("H6", "h6-drip", "a_body_dripping_one_chunk_a_second_times_out",
                 drip(ARTICLE, chunks=12, every=1.0), "error", "DownloadTimeoutError"),
        Endpoint("H7", "h7-reset", "a_connection_reset_mid_body_is_data_loss_and_stores_nothing",
                 reset_mid_body(100_000, ARTICLE[:3000]), "error", "ResponseDataLossError"),
        Endpoint("H8", "h8-cut-gzip", "a_gzip_stream_cut_in_half_is_truncated_and_stores_nothing",
                 html(truncated_gzip(ARTICLE), **{"Content-Encoding": "gzip"}), "error", "truncated_body", 200),
        Endpoint("H9", "h9-gzip-bomb", "a_gzip_bomb_stops_at_the_size_limit_as_too_large",
                 html(gzip_bomb(64 * MiB), **{"Content-Encoding": "gzip"}), "too_large", "^over ", 200),
        Endpoint("H10", "h10-br-bomb", "a_brotli_bomb_stops_at_the_size_limit_as_too_large",
                 html(brotli_bomb(64 * MiB), **{"Content-Encoding": "br"}), "too_large", "^over ", 200),
        Endpoint("H11", "h11-huge", "a_50_mb_page_announced_by_content_length_is_too_large_unread",
                 raw(head(Content_Length=str(50 * MiB)) + ARTICLE), "too_large", "^over "),
        Endpoint("H12", "h12-endless", "an_endless_chunked_body_is_cut_at_the_size_limit_as_too_large",
                 endless_chunked(), "too_large", "^over "),
        Endpoint("H13", "h13-self", "a_redirect_to_itself_is_a_redirect_loop",
                 Reply(301, b"", {"Location": "/news/h13-self"}), "error", "redirect_loop"),
        Endpoint("H13", "h13-ping", "a_two_step_redirect_loop_is_a_redirect_loop",
                 Reply(302, b"", {"Location": "/news/h13-pong"}), "error", "redirect_loop"),
        Endpoint("H14", "h14-port", "a_redirect_to_another_local_port_is_refused",
                 Reply(302, b"", {"Location": f"{other.origin}/secret"}), "refused", REFUSED,
                 row_url=f"{other.origin}/secret"),
        Endpoint("H14", "h14-loopback", "a_redirect_to_another_loopback_address_is_refused",
                 Reply(302, b"", {"Location": f"{secret.origin}/secret"}), "refused", REFUSED,
                 row_url=f"{secret.origin}/secret"),
        Endpoint("H14", "h14-v6", "a_redirect_to_ipv6_loopback_is_refused",
                 Reply(302, b"", {"Location": f"http://[::1]:{port}/secret"}), "refused", REFUSED,
                 row_url=f"http://[::1]:{port}/secret"),
        Endpoint("H14", "h14-mapped", "a_redirect_to_ipv4_mapped_loopback_is_refused",
                 Reply(302, b"", {"Location": f"http://[::ffff:127.0.0.1]:{port}/secret"}), "refused",
                 REFUSED, row_url=f"http://[::ffff:127.0.0.1]:{port}/secret"),
        Endpoint("H14", "h14-name", "a_redirect_to_a_name_resolving_to_loopback_is_refused",
                 Reply(302, b"", {"Location": f"http://intranet.test:{port}/secret"}), "refused",
                 REFUSED, row_url=f"http://intranet.test:{port}/secret"),
        Endpoint("H15", "h15-offsite", "a_redirect_to_an_offsite_domain_is_refused",
                 Reply(302, b"", {"Location": f"http://offsite.test:{port}/news/x"}), "refused",
                 REFUSED, row_url=f"http://offsite.test:{port}/news/x"),
        Endpoint("H16", "h16-file", "a_redirect_to_a_file_url_is_a_bad_redirect_under_the_linked_url",
                 Reply(302, b"", {"Location": "file:///etc/hostname"}), "error", "bad_redirect"),
        Endpoint("H16", "h16-data", "a_redirect_to_a_data_url_is_a_bad_redirect_under_the_linked_url",
                 Reply(302, b"", {"Location": "data:text/html,<p>hallo</p>"}), "error", "bad_redirect"),
        Endpoint("H17", "h17-none", "a_redirect_without_location_is_an_http_error",
                 Reply(302, b"", {}), "error", "HttpError", 302),
        Endpoint("H17", "h17-relative", "a_relative_redirect_is_followed_and_stored",
                 Reply(302, b"", {"Location": "h17-target"}), "new", None, 200, versions=1,
                 row_url=f"{site.origin}/news/h17-target"),
        Endpoint("H17", "h17-odd", "a_redirect_to_a_location_with_spaces_and_umlauts_ends_in_one_row",
                 raw(head("302 Found", Location="/news/h17 ziel ä?x=<1>".encode().decode("latin-1"),
                          Content_Length="0")), "gone", "HTTP 404", 404,
                 row_url=f"{site.origin}/news/h17%20ziel%20%C3%A4?x=%3C1%3E"),
        Endpoint("H18", "h18-bad-header", "a_malformed_header_line_is_a_protocol_error",
                 _raw_page("HTTP/1.1 200 OK", ["Content-Type: text/html", "this line is no header",
                                               f"Content-Length: {len(ARTICLE)}"], ARTICLE), "error", "^",
                 missing="Twisted's HTTP client skips a header line without a colon and reads the page; "
                         "a protocol error needs a hook in its response parser"),
        Endpoint("H18", "h18-two-lengths", "two_different_content_lengths_are_a_protocol_error",
                 _raw_page("HTTP/1.1 200 OK", ["Content-Type: text/html", "Content-Length: 10",
                                               f"Content-Length: {len(ARTICLE)}"], ARTICLE), "error", "DownloadFailedError"),
        Endpoint("H18", "h18-not-http", "an_answer_that_is_not_http_is_a_protocol_error",
                 raw(b"SSH-2.0-OpenSSH_9.6\r\n"), "error", "DownloadFailedError"),
        Endpoint("H18", "h18-http10", "an_http_1_0_answer_without_length_ends_at_close_and_is_stored",
                 _raw_page("HTTP/1.0 200 OK", ["Content-Type: text/html; charset=utf-8"], ARTICLE),
                 "new", None, 200, versions=1, text="Wasser für Ntoro"),
        Endpoint("H19", "h19-refused", "a_host_refusing_connections_is_down_for_the_night_and_stores_nothing",
                 Reply(302, b"", {"Location": f"http://127.0.0.1:{closed_port}/news/a"}), "robots",
                 "robots.txt could not be fetched (DownloadConnectionRefusedError)",
                 row_url=f"http://127.0.0.1:{closed_port}/news/a"),
        Endpoint("H19", "h19-nxdomain", "a_host_name_that_does_not_resolve_is_down_for_the_night_and_stores_nothing",
                 Reply(302, b"", {"Location": f"http://nxdomain.test:{port}/news/a"}), "robots",
                 "robots.txt could not be fetched (CannotResolveHostError)", row_url=f"http://nxdomain.test:{port}/news/a"),
        # --- 3.2 content and type, first fetch -----------------------------------------------------
        Endpoint("C1", "c1-pdf", "a_pdf_is_not_html",
                 html(FILES["pdf"][0](), "application/pdf"), "not_html", "application/pdf", 200),
        Endpoint("C2", "c2-png", "a_png_is_not_html", html(png_file(), "image/png"), "not_html", "image/png", 200),
        Endpoint("C3", "c3-octet", "html_served_as_octet_stream_is_stored",
                 html(page("Oktett", UMLAUT_TEXT), "application/octet-stream"), "new", None, 200, 1,
                 text="Bürgerinnen"),
        Endpoint("C4", "c4-charset-lie", "utf8_declared_latin1_is_stored_without_mojibake",
                 html(page("Zeichensatz", UMLAUT_TEXT), "text/html; charset=ISO-8859-1"), "new", None, 200, 1,
                 text="Müllentsorgung"),
        Endpoint("C5", "c5-cp1252-meta", "windows_1252_with_meta_charset_keeps_quotes_dashes_and_euro",
                 html(page("Anführung", UMLAUT_TEXT, "<meta charset='windows-1252'>").encode("cp1252"), "text/html"),
                 "new", None, 200, 1,
                 text="„Wir lernen voneinander“, sagte die Bürgermeisterin – der Fonds umfasst 5.000 €"),
        Endpoint("C6", "c6-latin1", "latin1_without_any_declaration_keeps_umlauts",
                 html(page("Grüße", UMLAUT_TEXT.replace("€", "Euro").replace("„", '"').replace("“", '"')
                           .replace("–", "-")).encode("latin-1"), "text/html"),
                 "new", None, 200, 1, text="größere Projekte und Fußwege"),
        Endpoint("C7", "c7-bom", "utf8_with_a_byte_order_mark_round_trips",
                 html(codecs.BOM_UTF8 + page("Bytefolge", UMLAUT_TEXT).encode(), "text/html"), "new", None, 200, 1,
                 text="„Wir lernen voneinander“"),
        Endpoint("C7", "c7-utf16", "a_utf16_page_round_trips",
                 html(page("Sechzehn", UMLAUT_TEXT).encode("utf-16"), "text/html; charset=utf-16"),
                 "new", None, 200, 1, text="Bürgermeisterin – der Fonds"),
        Endpoint("C8", "c8-empty", "an_empty_200_is_no_article", html(b""), "no_article", "empty body", 200),
        Endpoint("C9", "c9-boilerplate", "a_page_of_menus_and_a_cookie_banner_is_no_article",
                 html(BOILERPLATE), "no_article", "extractor found no article", 200),
        Endpoint("C10", "c10-malformed", "unclosed_html_with_a_closing_tag_in_a_script_is_stored_without_the_script",
                 html(MALFORMED), "new", None, 200, 1, text="Die Partnerschaft mit Ntoro wächst."),
        Endpoint("C11", "c11-deep", "a_hundred_thousand_nested_divs_are_no_article", html(_deep(100_000)),
                 "no_article", "extractor found no article", 200),
        Endpoint("C12", "c12-huge-line", "an_8_mb_line_is_too_large_to_extract",
                 html(b"<html><body><p>" + b"Partnerschaft " * (8 * MiB // 14) + b"</p></body></html>"),
                 "too_large", "^\\d+ bytes", 200),
        Endpoint("C14", "c14-colspan", "huge_colspan_and_rowspan_are_extracted", html(COLSPAN), "new", None, 200, 1,
                 text="Klimapartnerschaft"),
        Endpoint("C16", "c16-cookie-wall", "a_cookie_wall_is_no_article", html(COOKIE_WALL), "no_article",
                 "extractor found no article", 200),
        Endpoint("C17", "c17-same", "an_article_linked_with_trackers_and_session_ids_is_fetched_once",
                 article("Eine Meldung, viele Adressen"), "new", None, 200, 1),
        Endpoint("C18", "c18-mixed", "a_text_of_two_languages_gets_a_confident_language_or_unknown",
                 html(page("Zwei Sprachen", MIXED).replace("lang='de'", "")), "new", None, 200, 1),
        # --- known articles (stored on night 1) misbehaving on night 2 ------------------------------
        Endpoint("H1", "k-500", "a_known_article_answering_500_keeps_its_version",
                 article("Bekannt 500"), "error", "HttpError", 500, 1, night2=html("Fehler", status=500)),
        Endpoint("H4", "k-404", "a_known_article_answering_404_is_gone_without_an_empty_version",
                 article("Bekannt 404"), "gone", "HTTP 404", 404, 1, night2=html("weg", status=404)),
        Endpoint("H4", "k-410", "a_known_article_answering_410_is_gone_without_an_empty_version",
                 article("Bekannt 410"), "gone", "HTTP 410", 410, 1, night2=html("weg", status=410)),
        Endpoint("H5", "k-hang", "a_known_article_that_hangs_times_out_and_keeps_its_version",
                 article("Bekannt hängt"), "error", "DownloadTimeoutError", None, 1,
                 night2=Reply(200, ARTICLE, {"Content-Type": HTML}, delay=HANG)),
        Endpoint("H7", "k-reset", "a_known_article_reset_mid_body_keeps_its_version",
                 article("Bekannt Abbruch"), "error", "ResponseDataLossError", None, 1,
                 night2=reset_mid_body(100_000, page("Bekannt Abbruch").encode()[:3000])),
        Endpoint("H8", "k-cut-gzip", "a_known_article_with_a_cut_gzip_stream_keeps_its_version",
                 article("Bekannt gzip"), "error", "truncated_body", 200, 1,
                 night2=html(truncated_gzip(page("Bekannt gzip", UMLAUT_TEXT).encode()), **{"Content-Encoding": "gzip"})),
        Endpoint("H8", "k-cut-html", "a_known_article_cut_short_without_compression_is_quarantined",
                 html(_long("Bekannt gekürzt")), "quarantined", "^\\d+ of \\d+ words", 200, 1,
                 night2=html(_cut_html("Bekannt gekürzt"))),
        Endpoint("C1", "k-pdf", "a_known_article_now_a_pdf_keeps_its_version",
                 article("Bekannt PDF"), "not_html", "application/pdf", 200, 1,
                 night2=html(FILES["pdf"][0](), "application/pdf")),
        Endpoint("C8", "k-empty", "a_known_article_now_empty_keeps_its_version_and_stores_no_empty_one",
                 article("Bekannt leer"), "no_article", "empty body", 200, 1, night2=html(b"")),
        Endpoint("C9", "k-boilerplate", "a_known_article_now_only_boilerplate_keeps_its_version",
                 article("Bekannt Rahmen"), "no_article", "extractor found no article", 200, 1, night2=html(BOILERPLATE)),
        Endpoint("C15", "k-volatile", "a_known_article_whose_counter_and_timestamp_moved_is_unchanged",
                 html(page("Zähler", extra=VOLATILE)), "unchanged", "volatile only", 200, 1,
                 night2=html(page("Zähler", extra=VOLATILE.replace("14:02:11", "14:05:37").replace("4711", "4802")))),
        Endpoint("S2", "k-same", "a_known_article_served_the_same_is_unchanged_and_adds_no_version",
                 article("Bekannt gleich"), "unchanged", "same body", 200, 1, night2=article("Bekannt gleich")),
    ]


C17_LINKS = ["/news/c17-same?utm_source=newsletter&utm_medium=mail", "/news/c17-same?fbclid=IwAR0x",
             "/news/c17-same?PHPSESSID=0123456789abcdef", "/news/c17-same;jsessionid=ABCDEF0123",
             "/news/c17-same#kommentare"]


def endpoint_table() -> list[Endpoint]:
    """The endpoints with placeholder servers: rows, paths and expectations, for test ids and the index."""
    nowhere = SimpleNamespace(port=0, origin="http://127.0.0.1:0", routes={})
    return town_endpoints(nowhere, nowhere, nowhere, 0)  # type: ignore[arg-type]
