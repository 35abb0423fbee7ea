#!/usr/bin/env bash
# Runs Scripts/mmdb-writer-testdata.py in a virtual environment with PyPI's mmdb-writer (the
# independent MaxMind DB writer) and maxminddb (a reference reader), installing them on first
# use into .build/mmdb-python (or $GEOFILTER_MMDB_VENV). mmdblookup comes from Debian's mmdb-bin
# (Scripts/debian-packages.txt). Arguments are passed on to the Python script.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${GEOFILTER_MMDB_VENV:-$root/.build/mmdb-python}"
if ! "$venv/bin/python" -c 'import mmdb_writer, maxminddb' 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'mmdb-writer>=0.2.7' 'maxminddb>=2.6' >&2
fi
exec "$venv/bin/python" "$root/Scripts/mmdb-writer-testdata.py" "$@"
