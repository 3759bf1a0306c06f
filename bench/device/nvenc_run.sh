#!/bin/bash
# On the GPU machine (the device tool, carry [".dev"], made by bench/device/pack_nvenc.sh): Debian's
# ffmpeg unpacked to /tmp/d, then bench/nvenc.py renders both plans with libx264 and h264_nvenc, times
# them and compares them (SSIM, PSNR; that ffmpeg has no libvmaf: VMAF is computed here afterwards, on
# the NVENC files that come back in $OUT, against libx264 renders of the bundled ffmpeg).
R=$(cd "$(dirname "$0")/../.." && pwd); cd "$R"
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT" /tmp/d
tar xJf .dev/ffmpeg.tar.xz -C /tmp/d && tar xJf .dev/py.tar.xz -C /tmp/d || exit 3
export VERTICALIZE_FFMPEG=/tmp/d/ffmpeg/ffmpeg.sh PYTHONPATH=/tmp/d/site:$R PYTHONUNBUFFERED=1
FF=$VERTICALIZE_FFMPEG
nvidia-smi --query-gpu=name,driver_version --format=csv 2>&1 | tee $OUT/gpu.txt
nproc; ${PY:-python3} -c "import numpy, sys; print(sys.version, numpy.__version__)"
$FF -hide_banner -v error -f lavfi -i testsrc2=s=1080x1920:d=2 -c:v ${ENC:-h264_nvenc} -f null - && echo "nvenc smoke ok"
${PY:-python3} bench/nvenc.py .dev/plans/short.plan.json .dev/plans/drama120.plan.json \
  --remap "$(cat .dev/plans/root)=$R/.dev" --loudness off --work /tmp/nvw --json $OUT/nvenc.json \
  ${ENCODERS:+--encoders $ENCODERS} 2>&1 | tee $OUT/nvenc.log
for f in /tmp/nvw/*/1-*/ep*.mp4; do
  [ -e "$f" ] || continue
  n=$(basename "$(dirname "$(dirname "$f")")").$(basename "$f")
  if [ "$(stat -c%s "$f")" -gt 15000000 ]; then  # 16 MB a file comes back
    $FF -v error -i "$f" -map 0 -c copy -f segment -segment_time 60 -reset_timestamps 0 "$OUT/${n%.mp4}.part%d.mp4"
  else cp "$f" "$OUT/$n"; fi
done
ls -la $OUT
