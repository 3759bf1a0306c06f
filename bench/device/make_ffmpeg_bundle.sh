#!/bin/bash
# Debian's ffmpeg (bookworm: 5.1, NVENC SDK 11.1 headers, so any driver >= 470) with the shared
# libraries it needs, packed for a machine that has no ffmpeg: OUT.tar.xz holds ffmpeg/ (the binary,
# lib/ and ffmpeg.sh, which sets LD_LIBRARY_PATH). Libraries our graphs never call (other codecs'
# encoders, speech synthesis, network protocols, ICU data) are replaced by stubs that export the
# same symbols and do nothing, so the pack is 27 MB instead of 78. The bundled imageio-ffmpeg
# (9.0.2) needs NVENC API 13.1 (driver 610+); this one runs on older drivers.
#   bench/device/make_ffmpeg_bundle.sh OUT.tar.xz      (root; apt-get update first)
set -euo pipefail
out=$(readlink -f "$1"); here=$(dirname "$(readlink -f "$0")")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs/partial" "$work/root" "$work/ffmpeg/lib" "$work/stubs"
apt-get install -y -qq --download-only -o Dir::Cache::archives="$work/debs" ffmpeg >/dev/null
for d in "$work"/debs/*.deb; do dpkg -x "$d" "$work/root"; done
L="$work/root/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$L:$L/blas:$L/lapack:$L/pulseaudio"
cp "$work/root/usr/bin/ffmpeg" "$work/ffmpeg/"
ldd "$work/root/usr/bin/ffmpeg" | awk '/=>/{print $3}' \
  | grep -v -E '/(libc|libm|libdl|libpthread|librt|ld-linux-x86-64|libresolv)\.so' \
  | while read -r f; do cp -L "$f" "$work/ffmpeg/lib/"; done
# never called by our graphs; libgme stays real (the demuxer probes with it), and so do the
# libraries whose symbol versions or names a stub cannot copy (gfortran, asound, vidstab)
for l in libicudata.so.72 libcodec2.so.1.0 libx265.so.199 librsvg-2.so.2 libSvtAv1Enc.so.1 libaom.so.3 \
  libjxl.so.0.7 libvpx.so.7 librav1e.so.0 libplacebo.so.208 liblapack.so.3 libopenmpt.so.0 libslang.so.2 \
  libdb-5.3.so libSDL2-2.0.so.0 libicuuc.so.72 libgio-2.0.so.0 libgnutls.so.30 libcrypto.so.3 libzmq.so.5 \
  libssh.so.4 libsrt-gnutls.so.1.5 librist.so.4 libpocketsphinx.so.3 libsphinxbase.so.3 libmfx.so.1 \
  libOpenCL.so.1 libbluray.so.2 libcaca.so.0 librubberband.so.2 libchromaprint.so.1 libzvbi.so.0 libjack.so.0 \
  libpulse.so.0 libopenal.so.1 libtheoraenc.so.1 libxvidcore.so.4 libspeex.so.1 libmysofa.so.1 liblilv-0.so.0 \
  libflite.so.1 libflite_cmulex.so.1 libflite_usenglish.so.1 libflite_cmu_grapheme_lex.so.1 \
  libflite_cmu_indic_lex.so.1 libflite_cmu_time_awb.so.1 libflite_cmu_us_kal.so.1 libflite_cmu_us_kal16.so.1 \
  libflite_cmu_us_awb.so.1 libflite_cmu_us_rms.so.1 libflite_cmu_us_slt.so.1 libdav1d.so.6 libwebp.so.7 \
  libopenjp2.so.7 libtwolame.so.0 libshine.so.3 libgsm.so.1 libsoxr.so.0 libsnappy.so.1v5 libbs2b.so.0 \
  libvorbisenc.so.2 libmp3lame.so.0; do
  [ -e "$work/ffmpeg/lib/$l" ] || continue
  python3 "$here/stub_library.py" "$work/ffmpeg/lib/$l" "$work/stubs" >/dev/null
  cp "$work/stubs/$l" "$work/ffmpeg/lib/$l"
done
cat > "$work/ffmpeg/ffmpeg.sh" <<'SH'
#!/bin/sh
D=$(dirname "$(readlink -f "$0")")
LD_LIBRARY_PATH="$D/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$D/ffmpeg" "$@"
SH
chmod +x "$work/ffmpeg/ffmpeg.sh"
"$work/ffmpeg/ffmpeg.sh" -hide_banner -encoders > "$work/encoders.txt"
grep -q h264_nvenc "$work/encoders.txt"
tar -C "$work" -cf - ffmpeg | xz -T0 -6 > "$out"
ls -l "$out"
