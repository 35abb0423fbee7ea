#!/usr/bin/env bash
# Quick start on a fresh Debian machine: install the Debian packages, build GeoFilter in release
# mode and run the main job on the bundled default data.
#
# Today's main job: load the bundled database (IPFire Location data from tor-geoipdb, CC BY-SA
# 4.0), show its provenance, look up sample addresses, and aggregate every range of the countries
# other than US CA GB DE FR NL into the minimal lists a kernel set would hold, checked against
# iprange.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-debian-packages.sh
swift build -c release --product geofilter-demo
demo=".build/release/geofilter-demo"
echo "== The bundled database"
"$demo" info
echo "== Lookups (bundled data)"
"$demo" lookup 1.0.0.1 8.8.8.8 81.2.69.160 2001:200::1 2a00:1450:4001::1 192.168.1.1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 Benchmarks/prepare.py "$work"
cat "$work/block-v4-ranges.txt" "$work/block-v6-ranges.txt" > "$work/block.txt"
"$demo" aggregate "$work/block.txt" > "$work/networks.txt"
"$demo" aggregate --ranges "$work/block.txt" > "$work/ranges.txt"
echo "== Every country but US CA GB DE FR NL, aggregated"
echo "Input:            $(wc -l < "$work/block.txt") ranges (tor-geoipdb)"
echo "Minimal networks: $(grep -vc ':' "$work/networks.txt") IPv4, $(grep -c ':' "$work/networks.txt") IPv6"
echo "Minimal ranges:   $(grep -vc ':' "$work/ranges.txt") IPv4, $(grep -c ':' "$work/ranges.txt") IPv6"
if iprange "$work/block-v4-ranges.txt" | cmp -s - <(grep -v ':' "$work/networks.txt"); then
    echo "IPv4 networks are identical to iprange's output."
else
    echo "IPv4 networks differ from iprange's output!" >&2
    exit 1
fi
