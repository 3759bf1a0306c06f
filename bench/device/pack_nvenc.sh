#!/bin/bash
# Everything bench/device/nvenc_run.sh needs on a GPU machine that has no ffmpeg and none of our
# packages, in the ignored folder .dev/ (about 61 MB of the device tool's 64 MiB):
#   bash bench/device/pack_nvenc.sh          (from the repo root, after `make samples`; root, for apt-get)
# then run `bash bench/device/nvenc_run.sh` there with carry [".dev"].
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.dev/' .git/info/exclude || echo '/.dev/' >> .git/info/exclude
mkdir -p .dev/media .dev/plans
[ -s .dev/ffmpeg.tar.xz ] || bash bench/device/make_ffmpeg_bundle.sh .dev/ffmpeg.tar.xz
site=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT; mkdir "$tmp/site"
# the device's Python has numpy, fontTools and charset-normalizer; not these
for p in ffmpeg future past libpasteurize pysubs2 fontpkg fontpkg_noto_sans fontpkg_noto_sans_arabic \
         fontpkg_noto_sans_devanagari fontpkg_noto_sans_thai cvttf_NotoSansCJK_Regular; do
  cp -r "$site/$p" "$tmp/site/"
done
find "$tmp/site" -name __pycache__ -prune -exec rm -rf {} +
tar -C "$tmp" -cJf .dev/py.tar.xz site
# drama's first 120 s as bench/e2e.py cuts it (stream copy ending before a keyframe), with its cues
.venv/bin/python -c "import sys; sys.path.insert(0, 'bench'); from pathlib import Path; import e2e
e2e.cut_input(Path('samples/drama.mp4'), 120, {'en': Path('samples/subs/drama.en.srt')})"
cp samples/short.mp4 samples/subs/short.en.srt samples/build/drama.cut120s.key.mp4 \
   samples/build/drama.en.cut120s.srt .dev/media/
.venv/bin/verticalize analyze .dev/media/short.mp4 --subs en=.dev/media/short.en.srt -o .dev/plans/short.plan.json
.venv/bin/verticalize analyze .dev/media/drama.cut120s.key.mp4 --subs en=.dev/media/drama.en.cut120s.srt \
   -o .dev/plans/drama120.plan.json
readlink -f .dev > .dev/plans/root  # the plans name their files under this folder
du -sb .dev
