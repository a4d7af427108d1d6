# The README's two commands: `make demo` and `make test`. Both create .venv on first use and
# fetch Apache Kafka's jars from Maven Central into ~/.cache/jinqiu once (where Java is found).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test kafka mutate clean

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

# Mutation testing of the money and rule code against the fast tests ([tool.mutmut] in
# pyproject.toml); prints the kill rate. About 4 minutes here.
mutate: $(STAMP)
	rm -rf mutants
	$(BIN)/mutmut run > /dev/null 2>&1 || true
	$(BIN)/mutmut results --all true | awk '{print $$NF}' | sort | uniq -c
	$(BIN)/mutmut results --all true | awk '{n++} /killed$$/ {k++} END {printf "kill rate: %d of %d mutants (%.1f%%)\n", k, n, 100*k/n}'

clean:
	rm -rf $(VENV) out .pytest_cache mutants
