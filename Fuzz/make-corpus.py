#!/usr/bin/env python3
"""Builds the fuzz corpora from Fixtures/ and Fuzz/Seeds/ into OUT/<target>/ (not committed).

Data-source inputs start with one control byte (see FuzzTargets.swift); several files of one
source are joined by a `#####` line. Each fixture gives several seeds, with different control
bytes (strict/lenient, read sizes).

Usage: Fuzz/make-corpus.py OUT
"""
import hashlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Fixtures")
SEEDS = os.path.join(ROOT, "Fuzz", "Seeds")
SEP = b"\n#####\n"


def read(*parts):
    with open(os.path.join(FIX, *parts), "rb") as f:
        return f.read()


def write(out, target, data):
    folder = os.path.join(out, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def sources():
    g = ("geolite2", "GeoLite2-Country-CSV_20261120")
    yield "dbip", [read("dbip", "dbip-country-lite-2026-11.csv")]
    yield "dbip", [read("dbip", "dbip-country-lite-2026-11.csv.gz")]
    yield "geolite2", [read(*g, "GeoLite2-Country-Locations-en.csv"), read(*g, "GeoLite2-Country-Blocks-IPv4.csv"),
                       read(*g, "GeoLite2-Country-Blocks-IPv6.csv")]
    yield "rir", [read("rir", "delegated-ripencc-extended-latest")]
    yield "rir", [read("rir", "delegated-apnic-extended-latest"), read("rir", "delegated-ripencc-extended-latest")]
    yield "ipdeny", [read("ipdeny", "ad-aggregated.zone"), read("ipdeny", "ch.zone"), read("ipdeny", "ipv6", "eu.zone"),
                     read("ipdeny", "ipv6", "ad.zone")]
    yield "ipfire", [read("ipfire", "geoip"), read("ipfire", "geoip6")]
    yield "ipfire", [read("ipfire", "geoip")]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    for target, files in sources():
        body = SEP.join(f.rstrip(b"\n") for f in files) + b"\n"
        for control in (0x00, 0x01, 0x02, 0x0B, 0x1C, 0x2F):
            write(out, target, bytes([control]) + body)
    # Addresses and networks: every address-like field of the fixtures.
    fields = set()
    for folder, _, names in os.walk(FIX):
        for name in names:
            if name.endswith(".gz") or name == "README.md":
                continue
            for line in open(os.path.join(folder, name), "rb").read().splitlines():
                for field in line.replace(b"|", b",").split(b","):
                    field = field.strip(b'"')
                    if field and (b"." in field or b":" in field) and len(field) < 64:
                        fields.add(field)
    for field in sorted(fields):
        write(out, "address", field.split(b"/")[0])
        write(out, "network", b"\x00" + field)
        write(out, "network", b"\x01" + field)
    for extra in (b"::ffff:1.2.3.4", b"1::", b"::", b"1:2:3:4:5:6:7:8", b"0.0.0.0"):
        write(out, "address", extra)
    write(out, "network", b"\x00" + b"\n".join(sorted(fields)))
    write(out, "network", b"\x01" + b"10.0.0.0/8\n10.0.0.5-10.1.0.0\n2001:db8::/32 # doc\n::1\n")
    for target in ("snapshot", "policy"):
        for name in sorted(os.listdir(os.path.join(SEEDS, target))):
            write(out, target, open(os.path.join(SEEDS, target, name), "rb").read())
    for target in sorted(os.listdir(out)):
        print(f"{target}: {len(os.listdir(os.path.join(out, target)))} seeds")


if __name__ == "__main__":
    main()
