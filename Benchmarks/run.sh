#!/usr/bin/env bash
# Benchmarks: GeoFilter against the reference peers on real data (tor-geoipdb), in one run.
# Needs the Debian packages of Scripts/debian-packages.txt. Prints medians and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product geofilter-demo
work="Benchmarks/.work"
mkdir -p "$work"
python3 Benchmarks/prepare.py "$work"
python3 Benchmarks/compare.py "$work" .build/release/geofilter-demo "${ROUNDS:-11}"
