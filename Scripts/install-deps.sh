#!/usr/bin/env bash
# Installs everything dicomnode needs to build, run and test on a fresh Debian 12 machine.
# Idempotent: re-running only installs what is missing.
set -euo pipefail

APT_PACKAGES=(
  pkg-config zlib1g-dev libsqlite3-dev libssl-dev
  libopenjp2-7-dev libcharls-dev libturbojpeg0-dev libopenjph-dev openjph-tools
  dcmtk dicom3tools hyperfine time
)
PIP_PACKAGES=(
  "pydicom>=3,<4" pydicom-data pynetdicom dicomweb-client numpy pytest Pillow
  pylibjpeg pylibjpeg-libjpeg pylibjpeg-rle pylibjpeg-openjpeg pyjpegls
  imageio-ffmpeg   # a static ffmpeg: conformance/dicomweb_video.py makes and decodes real video streams
)

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if ! $PY -c "import pydicom, pynetdicom, dicomweb_client, data_store, pylibjpeg, libjpeg, rle, openjpeg, jpeg_ls, PIL, imageio_ffmpeg" >/dev/null 2>&1; then
  echo "install-deps: pip install ${PIP_PACKAGES[*]}"
  $PY -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}"
fi
echo "install-deps: ok"
