#!/usr/bin/env bash
# Benchmarks: GeoFilter against reference peers and baselines on real data (tor-geoipdb), in one
# run. Needs the Debian packages of Scripts/debian-packages.txt. Prints medians, ratios and bars;
# exits non-zero when a bar is missed.
set -uo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product geofilter-demo || exit 1
work="Benchmarks/.work"
mkdir -p "$work"
python3 Benchmarks/prepare.py "$work" || exit 1
status=0
python3 Benchmarks/compare.py "$work" .build/release/geofilter-demo "${ROUNDS:-11}" || status=1
echo
# In-process figures for GeoDatabase (a nested package, so the library never depends on it).
(cd Benchmarks && swift build -c release --product geofilter-bench >/dev/null && .build/release/geofilter-bench) | tee "$work/bench.txt" || status=1
grep -q "OVER" "$work/bench.txt" && status=1
exit $status
