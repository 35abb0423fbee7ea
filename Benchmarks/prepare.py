#!/usr/bin/env python3
"""Prepare benchmark and test inputs from Debian's tor-geoipdb (IPFire Location data).

Usage: prepare.py OUTDIR [GEOIP [GEOIP6]]

Writes into OUTDIR:
  all-v4-ranges.txt      every IPv4 row of geoip as 'first-last' text (input a)
  block-v4-ranges.txt    the rows of every country except US CA GB DE FR NL (input b)
  all-v6-ranges.txt      every IPv6 row of geoip6 as 'first-last' text
  block-v6-ranges.txt    the IPv6 rows of every country except US CA GB DE FR NL
Rows with the unknown code '??' are skipped in the block lists.
"""
import ipaddress
import os
import sys

ALLOWED = {"US", "CA", "GB", "DE", "FR", "NL"}


def rows(path):
    with open(path, encoding="ascii") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            first, last, country = line.split(",")
            yield first, last, country


def main():
    outdir = sys.argv[1]
    geoip = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/tor/geoip"
    geoip6 = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/tor/geoip6"
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "all-v4-ranges.txt"), "w") as every, \
            open(os.path.join(outdir, "block-v4-ranges.txt"), "w") as block:
        for first, last, country in rows(geoip):
            text = "%s-%s\n" % (ipaddress.IPv4Address(int(first)), ipaddress.IPv4Address(int(last)))
            every.write(text)
            if country not in ALLOWED and country != "??":
                block.write(text)
    with open(os.path.join(outdir, "all-v6-ranges.txt"), "w") as every, \
            open(os.path.join(outdir, "block-v6-ranges.txt"), "w") as block:
        for first, last, country in rows(geoip6):
            text = "%s-%s\n" % (first, last)
            every.write(text)
            if country not in ALLOWED and country != "??":
                block.write(text)


if __name__ == "__main__":
    main()
