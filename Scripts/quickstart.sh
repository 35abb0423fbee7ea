#!/usr/bin/env bash
# Quick start on a fresh Debian machine: install the Debian packages, build GeoFilter in release
# mode and run the main job on the bundled default data.
#
# The main job: load the bundled database (IPFire Location data from tor-geoipdb, CC BY-SA 4.0),
# show its provenance and look up sample addresses; aggregate every range of the countries other
# than US CA GB DE FR NL into the minimal lists a kernel set would hold, checked against iprange;
# then enforce a real policy in a scratch pair of network namespaces (never the machine's own
# firewall): block CN, RU and KP, send real packets from a Chinese and a British source address,
# and show what passed, what was dropped, the counters and the explanations; remove and clean up.
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

echo "== Enforcing --block CN,RU,KP in a scratch network namespace pair"
if [ "$(id -u)" -ne 0 ]; then
    echo "(skipped: creating network namespaces needs root; run this script as root to see it)"
    exit 0
fi
server="gfqs-server-$$"
client="gfqs-client-$$"
cleanup() {
    ip netns delete "$server" 2>/dev/null || true
    ip netns delete "$client" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$server"
ip netns add "$client"
ip link add gfqs0 netns "$server" type veth peer name gfqs1 netns "$client"
ip -n "$server" link set lo up
ip -n "$client" link set lo up
ip -n "$server" link set gfqs0 up
ip -n "$client" link set gfqs1 up
ip -n "$server" addr add 10.98.0.1/24 dev gfqs0
ip -n "$client" route add 10.98.0.0/24 dev gfqs1
# The client sends from a Chinese address (1.0.1.1) and a British one (81.2.69.160).
for source in 1.0.1.1 81.2.69.160; do
    ip -n "$client" addr add "$source/32" dev gfqs1
    ip -n "$server" route add "$source/32" dev gfqs0
done
for source in 1.0.1.1 81.2.69.160; do "$demo" lookup "$source"; done
ip netns exec "$server" "$demo" apply --block CN,RU,KP --trusted 192.168.0.0/16 --backend nftables
for source in 1.0.1.1 81.2.69.160; do
    if ip netns exec "$client" ping -c 2 -i 0.2 -W 1 -I "$source" 10.98.0.1 > /dev/null 2>&1; then
        echo "ping from $source: passed"
    else
        echo "ping from $source: dropped"
    fi
done
ip netns exec "$server" "$demo" status --backend nftables
for source in 1.0.1.1 81.2.69.160; do
    "$demo" explain "$source" --block CN,RU,KP --trusted 192.168.0.0/16
done
ip netns exec "$server" "$demo" remove --backend nftables
