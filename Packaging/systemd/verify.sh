#!/usr/bin/env bash
# Checks the systemd units in this folder with `systemd-analyze verify`, as installed: in a
# scratch root holding the units under /etc/systemd/system, the system's own units (targets)
# and a copy of the built program at /usr/local/bin/geofilter-demo, where ExecStart= expects
# it. Works without a running systemd (a container, CI). Any message fails the check.
#
#   Packaging/systemd/verify.sh [PATH/TO/geofilter-demo]   (default: .build/debug/geofilter-demo)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
program="${1:-$here/../../.build/debug/geofilter-demo}"
[ -x "$program" ] || { echo "verify.sh: $program is not an executable; build first (swift build)" >&2; exit 1; }
system_units=/usr/lib/systemd/system
[ -d "$system_units" ] || system_units=/lib/systemd/system
root="$(mktemp -d "${TMPDIR:-/tmp}/geofilter-units.XXXXXX")"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/local/bin" "$root/etc/systemd/system" "$root/usr/lib/systemd"
cp -r "$system_units" "$root/usr/lib/systemd/system"
cp "$program" "$root/usr/local/bin/geofilter-demo"
units=()
for unit in "$here"/*.service "$here"/*.timer; do
    cp "$unit" "$root/etc/systemd/system/"
    units+=("$(basename "$unit")")
done
output="$(systemd-analyze verify --root="$root" "${units[@]}" 2>&1)" || { echo "$output" >&2; exit 1; }
if [ -n "$output" ]; then echo "$output" >&2; exit 1; fi
echo "systemd-analyze verify: ${units[*]}: ok"
