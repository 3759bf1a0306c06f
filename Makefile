PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test samples clean bench bench-e2e bench-long long-samples

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python samples/warm_cache.py
	touch $(STAMP)

samples: $(STAMP)
	$(BIN)/python samples/make_samples.py

demo: samples
	$(BIN)/verticalize run samples/drama.mp4 -o out \
	  --subs en=samples/subs/drama.en.srt --subs es=samples/subs/drama.es.vtt \
	  --subs zh-Hans=samples/subs/drama.zh-Hans.gbk.srt --subs ja=samples/subs/drama.ja.srt \
	  --subs ar=samples/subs/drama.ar.srt
	@echo "episodes written to out/drama/"

bench: samples
	$(BIN)/python bench/analysis_speed.py
	$(BIN)/python bench/reframe_quality.py
	$(BIN)/python bench/plan_speed.py

long-samples: $(STAMP)
	$(BIN)/python samples/make_long.py --minutes 5
	$(BIN)/python samples/make_long.py

bench-e2e: samples
	$(BIN)/python bench/e2e.py

bench-long: long-samples
	$(BIN)/python bench/e2e.py --minutes 5
	$(BIN)/python bench/memory.py samples/build/long5m.mp4 samples/build/long.mp4
	$(BIN)/python bench/e2e.py --long --steps decode,analyze

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf out samples/*.mp4 samples/*.truth.json samples/.cache .pytest_cache
