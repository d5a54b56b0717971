# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs the pinned dependencies (constraints.txt) first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	$(BIN)/python -m compileall -q partnerwatch crawler spiders storage schedules  # read at every crawl process's start, also where PYTHONDONTWRITEBYTECODE is set
	touch $@

demo: $(BIN)/.installed
	$(BIN)/partnerwatch demo

test: $(BIN)/.installed lint  # lint first: a finding stops the run before the 6-minute suite
	$(BIN)/pytest -q -n 2 --dist loadfile --durations=15  # two workers, a file's tests on one: most tests wait on crawl processes

lint: $(BIN)/.installed  # the rules: [tool.ruff] and [tool.mypy] in pyproject.toml
	$(BIN)/ruff check partnerwatch crawler spiders storage schedules
	$(BIN)/mypy partnerwatch crawler spiders storage schedules

clean:
	rm -rf $(VENV) archive.db archive.db-wal archive.db-shm
