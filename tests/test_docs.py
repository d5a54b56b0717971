"""The README stays true: every setting, spider and command is documented."""

from __future__ import annotations

import re

from click.testing import CliRunner

import crawler.settings
from crawler.cli import main
from crawler.runner import PROJECT_ROOT
from spiders.sources import SPIDERS

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_crawler_setting_is_in_the_readme():
    settings = [name for name in vars(crawler.settings) if name.startswith("CRAWLER_")]
    assert len(settings) > 30
    assert [name for name in settings if f"`{name}`" not in README] == []


def test_every_spider_is_in_the_readme():
    assert [spider for spider in SPIDERS if f"scrapy crawl {spider}" not in README] == []


def test_every_command_of_the_cli_is_in_the_readme():
    commands = sorted(main.commands)
    assert {"demo", "crawl", "schedule", "status", "changes", "diff", "export", "serve", "reextract"} <= set(commands)
    assert [name for name in commands if not re.search(rf"`partnerwatch {name}\b", README)] == []


def test_the_two_commands_are_in_the_readme_and_ci_runs_the_test_one():
    assert "`make demo`" in README and "`make test`" in README
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()


def test_every_command_has_help():
    runner = CliRunner()
    for name in main.commands:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, name
