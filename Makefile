# The README's two commands: `make demo` and `make test`. Both create .venv on first use and
# fetch Apache Kafka's jars from Maven Central into ~/.cache/jinqiu once (where Java is found).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test kafka clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

kafka: $(STAMP)
	$(BIN)/python -c "from deploy.kafka_broker import ensure_jars, java_available; java_available() and print('Apache Kafka jars in', ensure_jars())"

demo: kafka
	$(BIN)/jinqiu demo --out out/

test: kafka
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) out .pytest_cache
