"""What a benchmarked command and its process tree used, and the conditions it ran under.

`measure` runs a command to its end while sampling its process tree from /proc every 200 ms
(peak VmHWM and PSS per process, the peak of the tree's summed PSS, CPU per process) and takes
the tree's exact CPU time from the kernel's accounting of reaped children. `conditions` is the
line every benchmark prints so a figure can say how it was obtained: commit, load, versions.
"""

from __future__ import annotations

import compileall
import os
import platform
import resource
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_S = 0.2  # reading smaps_rollup stalls the process a little: not more often


@dataclass
class Usage:
    """What a process tree used: peak memory per process, CPU seconds per process."""

    hwm_kb: dict[int, int] = field(default_factory=dict)
    pss_kb: dict[int, int] = field(default_factory=dict)  # peak per process
    cpu_s: dict[int, float] = field(default_factory=dict)  # as last sampled
    peak_pss_kb: int = 0  # peak of the sum over the tree
    tree_cpu_s: float = 0.0  # user + system of the whole tree, from the kernel once it is reaped

    def sample(self, root: int) -> None:
        pss = 0
        for pid in [root, *descendants(root)]:
            status = read_proc(f"/proc/{pid}/status")
            stat = read_proc(f"/proc/{pid}/stat")
            if not status or not stat:
                continue  # exited between listing and reading
            self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), _kb(status, "VmHWM:"))
            ticks = stat.rsplit(")", 1)[1].split()
            self.cpu_s[pid] = (int(ticks[11]) + int(ticks[12])) / CLOCK_TICKS
            own = _kb(read_proc(f"/proc/{pid}/smaps_rollup"), "Pss:")
            self.pss_kb[pid] = max(self.pss_kb.get(pid, 0), own)
            pss += own
        self.peak_pss_kb = max(self.peak_pss_kb, pss)


@dataclass
class Measured:
    wall_s: float
    usage: Usage
    root_pid: int
    load_before: float  # 1-minute load average
    load_after: float


def measure(command: list[str], log: Path, *, env: dict[str, str] | None = None, cwd: Path | None = None,
            on_sample: Callable[[float, Usage], None] | None = None) -> Measured:
    """Run `command` to its end, output to `log`; `on_sample(seconds since start, usage)` after each sample.

    Raises SystemExit with the log's tail when the command fails. The tree's CPU time is the change
    in this process's reaped-children accounting, so run one measured command at a time.
    """
    usage = Usage()
    load_before = os.getloadavg()[0]
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        done = threading.Event()
        threading.Thread(target=lambda: (process.wait(), done.set()), daemon=True).start()
        while not done.wait(SAMPLE_S):
            usage.sample(process.pid)
            if on_sample:
                on_sample(time.perf_counter() - started, usage)
    wall = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    usage.tree_cpu_s = (children.ru_utime - children_before.ru_utime) + (children.ru_stime - children_before.ru_stime)
    if process.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"{command[0]} exited {process.returncode}; log {log}:\n{tail}")
    return Measured(wall, usage, process.pid, load_before, os.getloadavg()[0])


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            children = read_proc(str(task / "children")).split()
            found += map(int, children)
            todo += map(int, children)
    return found


def git_commit(repo: Path) -> str:
    """The short commit of `repo`, with "+dirty" when files differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain") else "")


def conditions(repo: Path) -> str:
    """Commit, time, machine, load and versions: the provenance line of a benchmark's output.

    First the project's code is compiled to bytecode, as an installed copy's is after its first
    run: with PYTHONDONTWRITEBYTECODE set (as on the machines here) every measured process compiled
    all our modules again at start-up, ~0.25 s of CPU a crawl process that bare Scrapy, whose
    bytecode pip wrote at install, never paid.
    """
    from importlib.metadata import version

    cache_bytecode(repo)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"commit {git_commit(repo)}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
            f"load {load} (1/5/15 min), Python {platform.python_version()}, Scrapy {version('scrapy')}, "
            f"trafilatura {version('trafilatura')}")


def cache_bytecode(repo: Path) -> None:
    """Write the bytecode of the project's packages (`__pycache__`, git-ignored) where it is missing or stale."""
    for package in ("partnerwatch", "crawler", "spiders", "storage", "schedules"):
        if (repo / package).is_dir():
            compileall.compile_dir(repo / package, quiet=1)


def read_proc(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _kb(text: str, key: str) -> int:
    for line in text.splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0
