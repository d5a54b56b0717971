"""The layers import downward only: storage/ knows nothing of Scrapy or the crawler, spiders/ nothing of SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SQL = ("sqlite3", "sqlite_utils")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def imports_of(package: str) -> dict[str, set[str]]:
    return {path.name: imported_modules(path) for path in sorted((ROOT / package).glob("*.py"))}


def under(module: str, *packages: str) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


@pytest.mark.parametrize("name", sorted(imports_of("storage")))
def test_storage_imports_nothing_of_the_crawler_spiders_jobs_or_scrapy(name):
    upward = {m for m in imports_of("storage")[name] if under(m, "crawler", "spiders", "schedules", "scrapy", "twisted")}
    assert upward == set()


@pytest.mark.parametrize("name", sorted(imports_of("spiders")))
def test_spiders_know_nothing_of_sql(name):
    modules = imports_of("spiders")[name]
    assert {m for m in modules if under(m, *SQL)} == set()
    # what they take from storage/ is pure: URL identity, never a module that reads or writes the archive
    for module in (m for m in modules if under(m, "storage")):
        source = ROOT / (module.replace(".", "/") + ".py")
        assert {m for m in imported_modules(source) if under(m, *SQL)} == set(), module


def test_storage_and_spiders_are_checked_at_all():
    assert len(imports_of("storage")) > 10 and len(imports_of("spiders")) >= 2


@pytest.mark.parametrize("package", ["crawler", "spiders", "storage", "schedules"])
def test_nothing_below_the_command_line_imports_it(package):
    assert {name: {m for m in modules if under(m, "partnerwatch")}
            for name, modules in imports_of(package).items()} == dict.fromkeys(imports_of(package), set())


@pytest.mark.parametrize("name", sorted(imports_of("crawler")))
def test_the_crawl_steps_import_neither_spiders_nor_jobs(name):
    # crawler/ runs under any spider and under a job: it names spiders only as strings
    assert {m for m in imports_of("crawler")[name] if under(m, "spiders", "schedules")} == set()

