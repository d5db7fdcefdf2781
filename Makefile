# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.facetwin-installed

.PHONY: setup demo test bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt scripts/install_system_deps.sh
	bash scripts/install_system_deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned, so that nothing later resolves a CUDA build of several GB
	$(BIN)/python -m pip install --quiet -c constraints.txt torch
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,dynamixel,mujoco,ray,viewer]"
	touch $@

demo: setup
	$(BIN)/facetwin demo --out out/demo.mp4

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/facetwin bench --json docs/benchmarks.json

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) out .pytest_cache
