"""A small town news site on 127.0.0.1 for crawl-job tests, and a sources file pointing at it.

Routes: files under the site directory; `/down/…` answers 500 to everything (a broken
server); `/slow/…` serves the file under `/news/…` after SLOW_SECONDS.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SLOW_SECONDS = 3

ARTICLE = """<html lang="de"><head><title>{title}</title></head><body><nav>Start Aktuelles Kontakt</nav>
<article><h1>{title}</h1>
<p>Die Stadt hat mit ihrer Partnerkommune ein neues Projekt zur Wasserversorgung begonnen. Fachleute
aus beiden Kommunen treffen sich regelmäßig, um Erfahrungen auszutauschen und Ziele festzulegen.</p>
<p>Im kommenden Jahr sollen weitere Schulen und Vereine in die Partnerschaft eingebunden werden.
Der Rat hat dafür Mittel im Haushalt bereitgestellt und eine Arbeitsgruppe eingesetzt. {extra}</p>
</article></body></html>"""


class _Handler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/down/"):
            self.send_error(500, "broken on purpose")
            return
        if self.path.startswith("/slow/"):
            time.sleep(SLOW_SECONDS)
            self.path = "/news/" + self.path.removeprefix("/slow/")
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


class TownSite:
    """Pages in `root`, served on a free port until `close()`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "news").mkdir(parents=True, exist_ok=True)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def publish(self, *names: str, extra: str = "") -> None:
        """Article pages /news/NAME.html and a listing /news/ linking exactly these."""
        for name in names:
            (self.root / "news" / f"{name}.html").write_text(
                ARTICLE.format(title=f"Partnerschaft {name}", extra=extra), "utf-8")
        self.write_listing("news", [f"/news/{name}.html" for name in names])

    def write_listing(self, directory: str, hrefs: list[str]) -> None:
        links = " ".join(f'<a href="{href}">{href}</a>' for href in hrefs)
        (self.root / directory).mkdir(exist_ok=True)
        (self.root / directory / "index.html").write_text(f"<html><body>{links}</body></html>", "utf-8")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def source_entry(name: str, spider: str, start_url: str) -> str:
    """A sources-file entry for a listing at `start_url` whose articles are /news/*.html."""
    return (f'[{name}]\nspider = "{spider}"\nstart_urls = ["{start_url}"]\n'
            f"listing_patterns = ['^/[a-z]+/$']\narticle_patterns = ['^/news/[a-z0-9]+\\.html$']\n\n")


# no delays for a local server; no retries, so a broken server fails at once
# The town site and the replica listen on 127.0.0.1, which the net guard refuses unless allowed.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=0",
        "-s", "CRAWLER_EXTRACT_WORKERS=0", "-s", "CRAWLER_NETGUARD_ALLOWED_PRIVATE=127.0.0.1"]
