"""The docs stay true: every setting, spider and command is documented in README.md or docs/."""

from __future__ import annotations

import re

from click.testing import CliRunner

import crawler.settings
from partnerwatch.cli import main
from crawler.runner import PROJECT_ROOT
from spiders.sources import SPIDERS

README_PATH = PROJECT_ROOT / "README.md"
DOC_PATHS = [README_PATH, *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
README = README_PATH.read_text(encoding="utf-8")
DOCS = "\n".join(path.read_text(encoding="utf-8") for path in DOC_PATHS)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_docs_are_the_readme_and_the_files_under_docs():
    assert len(DOC_PATHS) > 5 and all(path.is_file() for path in DOC_PATHS)


def test_every_crawler_setting_is_documented():
    settings = [name for name in vars(crawler.settings) if name.startswith("CRAWLER_")]
    assert len(settings) > 30
    assert [name for name in settings if f"`{name}`" not in DOCS] == []


def test_every_spider_is_documented():
    assert [spider for spider in SPIDERS if f"scrapy crawl {spider}" not in DOCS] == []


def test_every_command_of_the_cli_is_documented():
    commands = sorted(main.commands)
    assert {"demo", "crawl", "schedule", "status", "changes", "diff", "export", "serve", "reextract"} <= set(commands)
    assert [name for name in commands if not re.search(rf"`partnerwatch {name}\b", DOCS)] == []


def test_the_two_commands_are_in_the_readme_and_ci_runs_the_test_one():
    assert "`make demo`" in README and "`make test`" in README
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()


def test_the_readme_stays_a_five_minute_read():
    assert len(README.splitlines()) <= 200


def test_every_relative_link_of_the_docs_reaches_a_file_and_its_anchor():
    broken = []
    for path in DOC_PATHS:
        for target in LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # http(s) and mailto links leave the repository on purpose
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            if not linked.exists():
                broken.append(f"{path.name}: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked.read_text(encoding="utf-8")):
                broken.append(f"{path.name}: {target}")
    assert broken == []


def test_no_doc_points_at_files_outside_the_repository():
    outside = re.compile(r"\.\./shared|/work/|shared/[\w-]+|reliability\.md|perf-notes\.md")
    assert [f"{path.name}: {hit}" for path in DOC_PATHS for hit in outside.findall(path.read_text(encoding="utf-8"))] == []


def test_every_command_has_help():
    runner = CliRunner()
    for name in main.commands:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, name


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors (lower case, punctuation dropped, spaces to '-') and explicit ids."""
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)  # a "# comment" is no heading
    headings = re.findall(r"^#+ (.+)$", prose, flags=re.MULTILINE)
    slugs = {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}
    return slugs | set(re.findall(r'<a id="([^"]+)"></a>', markdown))
