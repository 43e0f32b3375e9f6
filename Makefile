# Two commands on a fresh machine: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-e2e serve venv translations demo clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/activate

venv: $(BIN)/activate

translations: venv
	$(BIN)/pybabel -q compile -d translations -f

demo: venv translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo

run: demo
	$(FLASK) run --host $(HOST) --port $(PORT)

test: venv translations
	$(BIN)/python -m pytest -q -p no:cacheprovider --ignore=tests/e2e
	$(MAKE) --no-print-directory test-e2e

test-e2e: venv translations
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/e2e

serve: venv translations
	$(FLASK) db upgrade
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) --no-control-socket 'app:create_app()'

clean:
	rm -rf $(VENV) *.egg-info
