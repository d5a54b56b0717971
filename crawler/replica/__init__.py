"""Offline replica of the source sites, served on 127.0.0.1 for the demo and the tests.

    from crawler.replica import Replica, load_golden, REAL_ORIGINS
    with Replica(state="v1") as replica:
        replica.urls["skew"]          # "http://127.0.0.1:PORT"
        replica.set_state("v2")       # or GET /_replica/state?set=v2 on any site port
    golden = load_golden("v2")        # what a perfect crawler would store; see golden.py

Content lives in content/*.toml; the site renderers (contao, relaunch, txnews, imperia, party,
newsroom) turn it into pages, and golden.py derives the expected results from the same data.
"""

from .catalog import REAL_ORIGINS
from .golden import Golden, GoldenArticle, absolute_url, load_golden
from .server import Hit, Replica

__all__ = ["REAL_ORIGINS", "Golden", "GoldenArticle", "Hit", "Replica", "absolute_url", "load_golden"]
