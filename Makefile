# hoctap: `make run` starts the whole system with a demo province; `make test` runs every test.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test unit contract integration e2e bench bench-services faults kafka-jars lint clean

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

# The whole pipeline at Trà Vinh's scale on Apache Kafka and PostgreSQL; ends with one JSON line.
# BENCH_ARGS="--scale 0.2" for a quicker run.
bench: $(STAMP) kafka-jars
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m tests.bench.bench_pipeline $(BENCH_ARGS)

# Each service's own benchmark (domain and adapters against a baseline measured in the same run).
bench-services: $(STAMP) kafka-jars
	$(PY) -m tests.bench.bench_registry --scale 0.1
	$(PY) -m tests.bench.bench_recognition
	$(PY) -m tests.bench.bench_metrics
	$(PY) -m tests.bench.bench_metrics_service
	$(PY) -m tests.bench.bench_notifications

# The fault tests in five rounds (order, timing and broker kill vary by seed), with the scaling
# and security tests; `make test` runs one round.
faults: $(STAMP) kafka-jars
	HOCTAP_FAULT_SEEDS="2026 1 2 3 4" $(PY) -m pytest tests/e2e/test_faults.py tests/e2e/test_scaling.py tests/integration/security tests/e2e/test_no_raw_national_id.py

clean:
	rm -rf var .pytest_cache
