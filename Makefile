# MotionBeat: `make demo` runs the main job on the embedded demo song; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
TYPECHECK_VENV := .venv-typecheck
OUT := out

.PHONY: setup demo test lint typecheck build bench clean

# The project with everything it needs: torch (CPU build), the real Blender as a module, etc.
$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade "pip>=23.2"
	$(VENV)/bin/python -m pip install --quiet -e ".[blender,dev]"
	touch $@

# fake-bpy-module installs a package named bpy, as the real bpy does: it gets its own venv.
$(TYPECHECK_VENV)/.installed: pyproject.toml
	test -x $(TYPECHECK_VENV)/bin/python || $(PYTHON) -m venv $(TYPECHECK_VENV)
	$(TYPECHECK_VENV)/bin/python -m pip install --quiet fake-bpy-module==20261026 mypy==2.4.1 numpy==1.26.4
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(VENV)/bin/motionbeat demo-song $(OUT)/demo_song.wav
	$(VENV)/bin/motionbeat generate $(OUT)/demo_song.wav --out $(OUT)/demo.npz --out $(OUT)/demo.blend
	@echo "Demo dance: $(abspath $(OUT)/demo.blend) (Blender) and $(abspath $(OUT)/demo.npz) (SMPL npz)"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(TYPECHECK_VENV)/.installed
	$(TYPECHECK_VENV)/bin/mypy motionbeat_addon

test: lint typecheck
	$(VENV)/bin/python -m pytest

build: setup
	$(VENV)/bin/python build.py

bench: setup
	$(VENV)/bin/python benchmarks/command_speed.py
	$(VENV)/bin/python benchmarks/generate_to_blend.py
	$(VENV)/bin/python benchmarks/keying.py
	$(VENV)/bin/python benchmarks/analysis_vs_librosa.py
	$(VENV)/bin/python benchmarks/beat_tracker.py
	$(VENV)/bin/python benchmarks/stock_bpy_generate.py
	$(VENV)/bin/python benchmarks/memory_long_song.py
	$(VENV)/bin/python benchmarks/training_throughput.py
	$(VENV)/bin/python benchmarks/tang2018_fit.py
	$(VENV)/bin/python benchmarks/choreographers.py
	$(VENV)/bin/python benchmarks/dance_quality.py
	$(VENV)/bin/python benchmarks/encoder_ablation.py

clean:
	rm -rf $(OUT) dist build *.egg-info .pytest_cache .mypy_cache .ruff_cache
