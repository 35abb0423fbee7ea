#!/usr/bin/env bash
# Installs the Debian packages GeoFilter builds against and tests with (Scripts/debian-packages.txt).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
# shellcheck disable=SC2046
$sudo apt-get install -y --no-install-recommends $(grep -v '^#' "$here/debian-packages.txt")
