# hoctap: `make run` starts the whole system with a demo province; `make test` runs every test.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test unit contract integration e2e bench kafka-jars lint clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m shared.devstack run

kafka-jars: $(STAMP)
	@if command -v java >/dev/null && command -v mvn >/dev/null; then $(PY) -m shared.devstack kafka-jars; \
	else echo "no Java/Maven here: the tests will use Tansu"; fi

test: $(STAMP) kafka-jars
	$(PY) -m pytest

unit: $(STAMP)
	$(PY) -m pytest -m unit

contract: $(STAMP)
	$(PY) -m pytest -m contract

integration: $(STAMP) kafka-jars
	$(PY) -m pytest -m integration

e2e: $(STAMP) kafka-jars
	$(PY) -m pytest -m e2e

clean:
	rm -rf var .pytest_cache
