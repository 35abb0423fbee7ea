#!/usr/bin/env bash
# Rebuilds the bundled database (Sources/GeoFilterBundledData/Resources/geofilter-bundled.gfsnap)
# from Debian's tor-geoipdb (IPFire Location data, CC BY-SA 4.0). Needs: apt-get install tor-geoipdb
set -euo pipefail
cd "$(dirname "$0")/.."
geoip="${1:-/usr/share/tor/geoip}"
geoip6="${2:-/usr/share/tor/geoip6}"
swift build -c release --product geofilter-demo
.build/release/geofilter-demo snapshot --source "ipfire:$geoip,$geoip6" \
    --output Sources/GeoFilterBundledData/Resources/geofilter-bundled.gfsnap
dpkg-query -W -f='Built from ${Package} ${Version}\n' tor-geoipdb 2>/dev/null || true
