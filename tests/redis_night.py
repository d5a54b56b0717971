"""A night on many machines, in processes: a real redis-server, `partnerwatch enqueue`, workers, writer."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crawler.runner import PROJECT_ROOT, crawl_env

SPIDER = "municipal"  # four sources on four hosts: both workers crawl, with new, changed and duplicate texts
PARTNERWATCH = [sys.executable, "-c", "from partnerwatch.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A real redis-server on a free loopback port, its files in `directory`; its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (.ci/run installs the Debian package)")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(directory)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def setting_args(settings: dict[str, Any]) -> list[str]:
    args = []
    for name, value in settings.items():
        args += ["-s", f"{name}={json.dumps(value) if isinstance(value, dict | list) else value}"]
    return args


def command(name: str, redis_url: str, *args: str, settings: dict[str, Any] | None = None) -> list[str]:
    return [*PARTNERWATCH, name, "--redis", redis_url, *args, *setting_args(settings or {})]


def start(cmd: list[str], log: Path) -> subprocess.Popen:
    # a session of its own: a test kills the command with its crawl processes (os.killpg)
    return subprocess.Popen(cmd, env=crawl_env(), cwd=PROJECT_ROOT, stdout=log.open("a"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def enqueue(redis_url: str, db_path: Path, spider: str, shards: int, settings: dict[str, Any]) -> dict:
    result = subprocess.run(command("enqueue", redis_url, "--db", str(db_path), "--shards", str(shards), spider,
                                    settings=settings),
                            env=crawl_env(), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def workers(redis_url: str, shards: int, settings: dict[str, Any], logs: Path) -> list[subprocess.Popen]:
    return [start(command("worker", redis_url, "--shard", str(shard), settings=settings), logs / f"worker{shard}.log")
            for shard in range(shards)]


def writer(redis_url: str, db_path: Path, logs: Path, settings: dict[str, Any] | None = None) -> subprocess.Popen:
    return start(command("writer", redis_url, "--db", str(db_path), settings=settings), logs / "writer.log")


def finish(processes: list[subprocess.Popen], logs: Path, timeout: float = 120) -> None:
    for process in processes:
        code = process.wait(timeout=timeout)
        assert code == 0, "\n".join(log.read_text()[-3000:] for log in sorted(logs.glob("*.log")))


def archive_dump(db_path: Path) -> dict:
    """What a night stored, without ids and times: articles, their versions, the story clusters."""
    db = sqlite3.connect(db_path)
    try:
        articles = sorted(db.execute(
            "SELECT canonical_url, source, url, current_version, gone_at IS NULL FROM articles"))
        versions = sorted(db.execute(
            "SELECT a.canonical_url, v.version, v.change_kind, v.title, v.text_hash, v.published_at "
            "FROM versions v JOIN articles a ON a.id = v.article_id"))
        clusters: dict[int, set[str]] = {}
        for cluster, url in db.execute("SELECT c.cluster_id, a.canonical_url FROM article_clusters c "
                                       "JOIN articles a ON a.id = c.article_id"):
            clusters.setdefault(cluster, set()).add(url)
        return {"articles": articles, "versions": versions,
                "clusters": sorted(sorted(urls) for urls in clusters.values() if len(urls) > 1)}
    finally:
        db.close()
