"""LogThreshold: records no handler would write are not built; what is written stays the same.

Run in a fresh interpreter: pytest's own capture handlers take every level, so in this process
the extension would (rightly) change nothing.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import io, logging
    from crawler.log_threshold import LogThreshold

    built = []
    make = logging.getLogRecordFactory()
    logging.setLogRecordFactory(lambda *a, **k: built.append(a[4]) or make(*a, **k))
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setLevel(logging.{level})  # as Scrapy installs it: the root logger at NOTSET, the level here
    logging.root.addHandler(handler)
    logging.root.setLevel(logging.NOTSET)
    logging.getLogger("scrapy").setLevel(logging.DEBUG)
    {extra}

    threshold = LogThreshold()
    threshold.spider_opened()
    log = logging.getLogger("scrapy.core.engine")
    log.debug("Crawled (304) %s", "http://127.0.0.1/a")
    log.info("Spider opened")
    log.warning("refused %s", "http://10.0.0.1/")
    during = logging.root.level
    threshold.spider_closed()
    print(during, logging.root.level, logging.getLogger("scrapy").level, built, repr(out.getvalue()))
""")


def run(level: str, extra: str = "") -> str:
    script = SCRIPT.replace("{level}", level).replace("{extra}", extra)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout


WRITTEN = "'Spider opened\\nrefused http://10.0.0.1/\\n'"


def test_debug_records_are_not_built_when_the_only_handler_takes_info_and_up():
    # libraries' NullHandlers (charset_normalizer has one) write nothing and do not count
    assert run("INFO") == f"20 0 10 ['Spider opened', 'refused %s'] {WRITTEN}\n"


def test_debug_messages_still_reach_a_debug_handler_anywhere():
    # a DEBUG handler on another logger (a log file of one component) keeps every record coming
    extra = "logging.getLogger('crawler').addHandler(logging.StreamHandler(io.StringIO()))"  # level NOTSET
    assert run("INFO", extra) == f"0 0 10 ['Crawled (304) %s', 'Spider opened', 'refused %s'] {WRITTEN}\n"
    assert "Crawled (304) http://127.0.0.1/a" in run("DEBUG")
