# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/callcenter serve --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint
	$(BIN)/pytest -q

# Translations (README, "Languages"): collect every marked text, merge it into each language's catalogue
# (new texts come in empty, changed ones marked fuzzy), then say what is left to translate.
messages: $(STAMP)
	mkdir -p build
	$(BIN)/pybabel -q extract
	$(BIN)/pybabel -q update
	@for po in agent_desktop/locale/*/LC_MESSAGES/messages.po; do \
	  $(BIN)/pybabel compile --statistics -i "$$po" -o /dev/null 2>&1 | grep translated; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
