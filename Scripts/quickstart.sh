#!/usr/bin/env bash
# Quick start on a fresh Debian machine: install the Debian packages, build GeoFilter in release
# mode and run the main job on the default data.
#
# Today's main job: aggregate every IPv4 and IPv6 range that tor-geoipdb (IPFire Location data,
# CC BY-SA 4.0) assigns to a country other than US CA GB DE FR NL into the minimal lists a
# kernel set would hold, and compare the IPv4 result with iprange's.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-debian-packages.sh
swift build -c release --product geofilter-demo
demo=".build/release/geofilter-demo"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 Benchmarks/prepare.py "$work"
cat "$work/block-v4-ranges.txt" "$work/block-v6-ranges.txt" > "$work/block.txt"
"$demo" aggregate "$work/block.txt" > "$work/networks.txt"
"$demo" aggregate --ranges "$work/block.txt" > "$work/ranges.txt"
echo "Input: $(wc -l < "$work/block.txt") ranges of every country but US CA GB DE FR NL (tor-geoipdb)"
echo "Minimal networks: $(grep -vc ':' "$work/networks.txt") IPv4, $(grep -c ':' "$work/networks.txt") IPv6"
echo "Minimal ranges:   $(grep -vc ':' "$work/ranges.txt") IPv4, $(grep -c ':' "$work/ranges.txt") IPv6"
if iprange "$work/block-v4-ranges.txt" | cmp -s - <(grep -v ':' "$work/networks.txt"); then
    echo "IPv4 networks are identical to iprange's output."
else
    echo "IPv4 networks differ from iprange's output!" >&2
    exit 1
fi
echo "First networks:"; head -5 "$work/networks.txt"
