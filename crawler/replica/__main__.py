"""`python -m crawler.replica serve [--state v1] [--host 127.0.0.1] [--port N] [--no-rate-limit]`

Starts every replica site, prints one JSON line {"urls": {...}, "origin_map": {...}} to stdout and
serves until SIGTERM or SIGINT. Another process can switch the state with
`GET /_replica/state?set=v2` on any site port.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType

from .content import STATES
from .server import Replica


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m crawler.replica", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve all sites until SIGTERM/SIGINT")
    serve.add_argument("--state", choices=STATES, default="v1")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0,
                       help="first port: the sites listen on PORT, PORT+1, … in catalog order "
                            "(default: any free ports)")
    serve.add_argument("--no-rate-limit", dest="rate_limit", action="store_false",
                       help="do not answer berlin with 429 when requests come too fast")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with Replica(state=args.state, host=args.host, rate_limit=args.rate_limit, port=args.port) as replica:
        print(json.dumps({"urls": replica.urls, "origin_map": replica.origin_map()}), flush=True)  # noqa: T201 (read by the parent)
        while not stop.wait(0.5):  # a timed wait keeps the main thread responsive to signals
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
