# Two commands on a fresh machine: `make run` serves the demo, `make test` runs the whole suite.
# Both install exactly what a lock file pins, hashes checked (README, "Locked installs"); `make lock` refreshes them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

# The lock .venv is built from: the app with its tests and tools by default; a production host can take the app
# alone with `make serve LOCK=requirements.lock`.
LOCK ?= requirements-dev.lock
INSTALLED = $(VENV)/.installed-from-$(1)
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --quiet --no-config --universal --python-version 3.11 --only-binary :all: \
	--generate-hashes --upgrade --custom-compile-command 'make lock'
# $(1): what to resolve, $(2): the lock; rewritten only when it changes, so an unchanged lock keeps .venv as it is.
define compile_lock
	$(UV_COMPILE) $(1) -o $(2).new
	if cmp -s $(2).new $(2); then rm $(2).new; else mv $(2).new $(2); fi
endef

.PHONY: run test test-e2e serve venv translations demo lock clean

# A new lock or pyproject.toml makes a new virtualenv, so nothing an older lock installed stays behind. The lock is
# installed as wheels only, every file checked against its hashes, by the interpreter's own pip (the lock's pip and
# setuptools replace it); the project itself with the locked setuptools and no download (--no-build-isolation).
$(call INSTALLED,%): % pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --require-hashes --only-binary :all: -r $<
	$(PIP_INSTALL) --no-deps --no-build-isolation -e .
	touch $@

venv: $(call INSTALLED,$(LOCK))

translations: venv
	$(BIN)/pybabel -q compile -d translations -f

demo: venv translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo

# The web server and, beside it, the task queue's worker (it delivers messages and runs the periodic jobs). Ctrl-C
# stops both: the trap stops the worker when the server ends, however it ends. SMS go to the file backend
# (instance/sms.jsonl, one JSON line each) and quiet hours are off, so the demo's messages appear at once whatever
# the hour — a development machine must never text real phones; the environment overrides any of the three.
run: demo
	@export SMS_BACKEND="$${SMS_BACKEND:-file}" SMS_FILE="$${SMS_FILE:-instance/sms.jsonl}" \
		QUIET_HOURS="$${QUIET_HOURS:-off}"; \
	$(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' INT TERM EXIT; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# The import contracts first (pyproject.toml [tool.importlinter]): seconds, and a broken one names the import.
test: venv translations
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -p no:cacheprovider --ignore=tests/e2e
	$(MAKE) --no-print-directory test-e2e

test-e2e: venv translations
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/e2e

# gunicorn also reads ./gunicorn.conf.py when there is one; the options given here take precedence over it.
serve: venv translations
	$(FLASK) db upgrade
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) --no-control-socket 'app:create_app()'

# The newest releases pyproject.toml's ranges admit, for Python 3.11 and newer on every platform: the dev lock, then
# the app's lock held to the same versions. Run after changing dependencies and monthly (README); then make test.
lock: $(call INSTALLED,requirements-dev.lock)
	$(call compile_lock,--extra test --group install --group dev,requirements-dev.lock)
	$(call compile_lock,--group install -c requirements-dev.lock,requirements.lock)

clean:
	rm -rf $(VENV) *.egg-info
