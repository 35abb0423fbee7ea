#!/usr/bin/env python3
"""Writes MaxMind DB test files with an independent writer (PyPI mmdb-writer) and answers
lookups with two independent readers (PyPI maxminddb, and Debian mmdb-bin's mmdblookup), for
GeoFilter's MMDB tests (Tests/GeoFilterCoreTests/MMDBWriterTests.swift).

Usage: mmdb-writer-testdata.py OUTDIR SEED [ADDRESSES [MMDBLOOKUP_SAMPLE]]
       mmdb-writer-testdata.py --tor OUT.mmdb GEOIP GEOIP6

Writes OUTDIR/*.mmdb and OUTDIR/manifest.json:
  {"databases": [{"path", "layout", "record_size", "networks": [[network, located, registered,
  represented], ...], "lookups": [[address, prefix_length|null, located|null], ...],
  "mmdblookup_checked": N}]}
Layouts: ipv4 (ip_version 4), ipv6 (IPv6 networks only), mapped (ip_version 6, IPv4 at ::/96
and aliased from ::ffff:0:0/96 and 2002::/16 as MaxMind's writer does). Record sizes 24, 28, 32
(mmdb-writer picks the smallest that fits; the subclass below forces one). Every lookup answer
of maxminddb is compared here with mmdblookup's on MMDBLOOKUP_SAMPLE addresses per database
(mmdblookup is one process per lookup).
"""
import ipaddress
import json
import os
import random
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import maxminddb
import mmdb_writer
from netaddr import IPSet

COUNTRIES = ["DE", "FR", "US", "CN", "RU", "BR", "JP", "GB", "IN", "AU", "NL", "SE", "PH", "ZA", "AR", "CA"]


class FixedRecordSizeWriter(mmdb_writer.TreeWriter):
    forced = 0

    def _adjust_record_size(self):
        super()._adjust_record_size()
        if self.forced:
            assert self.forced >= self.record_size, (self.forced, self.record_size)
            self.record_size = self.forced
            self.data_offset = self.record_size * 2 / 8 * self._node_counter


def record_for(rng):
    """A random record in one of the layouts GeoFilter reads, and its expected codes."""
    located, registered, represented = rng.choice(COUNTRIES), rng.choice(COUNTRIES), rng.choice(COUNTRIES)
    kind = rng.randrange(6)
    continent = {"code": "EU", "geoname_id": 6255148, "names": {"en": "Europe"}}
    if kind == 0:  # GeoIP2/GeoLite2 Country
        record = {"continent": continent, "country": {"iso_code": located, "geoname_id": 1, "names": {"en": located}},
                  "registered_country": {"iso_code": registered, "geoname_id": 2}}
        return record, (located, registered, located)
    if kind == 1:  # with a represented country (military)
        record = {"country": {"iso_code": located}, "registered_country": {"iso_code": registered},
                  "represented_country": {"iso_code": represented, "type": "military"}}
        return record, (located, registered, represented)
    if kind == 2:  # DB-IP Lite: no registered_country
        record = {"continent": continent, "country": {"iso_code": located, "is_in_european_union": True}}
        return record, (located, None, located)
    if kind == 3:  # registered only
        record = {"registered_country": {"iso_code": registered}, "traits": {"is_anycast": True}}
        return record, (registered, registered, registered)
    if kind == 4:  # third-party {"country_code": "XX"}
        return {"country_code": located}, (located, located, located)
    return {"continent": continent}, (None, None, None)  # continent only


def random_networks(rng, layout, count):
    """Disjoint random networks: (family, ipaddress network)."""
    candidates = []
    for _ in range(count):
        if layout == "ipv6" or (layout == "mapped" and rng.random() < 0.5):
            length = rng.randint(12, 64)
            base = rng.choice([0x2400, 0x2600, 0x2a00, 0x2c00, 0x3000]) << 112
            value = base | rng.getrandbits(105) << 7
            if layout == "ipv6" and rng.random() < 0.1:
                value = rng.getrandbits(128)  # anywhere (no aliases in a pure IPv6 tree)
                length = rng.randint(16, 128)
            candidates.append(ipaddress.IPv6Network((value >> (128 - length) << (128 - length), length)))
        else:
            length = rng.randint(8, 32)
            value = rng.getrandbits(32)
            candidates.append(ipaddress.IPv4Network((value >> (32 - length) << (32 - length), length)))
    result = []
    for version in (4, 6):
        nets = sorted((n for n in candidates if n.version == version), key=lambda n: (int(n.network_address), n.prefixlen))
        last_end = -1
        for net in nets:
            if int(net.network_address) > last_end:
                result.append(net)
                last_end = int(net.broadcast_address)
    return result


def graft_aliases(tree):
    """Points ::ffff:0:0/96 and 2002::/16 at the ::/96 node, as MaxMind's writer does."""
    node = tree
    for _ in range(96):
        node = node.get_or_create(0)
    ipv4 = node
    for bits in ([0] * 80 + [1] * 16, [int(b) for b in format(0x2002, "016b")]):
        node = tree
        for bit in bits[:-1]:
            node = node.get_or_create(bit)
            assert isinstance(node, mmdb_writer.SearchTreeNode)
        node[bits[-1]] = ipv4


def write(path, layout, record_size, rng, network_count):
    ip_version = 4 if layout == "ipv4" else 6
    writer = mmdb_writer.MMDBWriter(
        ip_version=ip_version, database_type="GeoFilter-Test-" + layout, languages=["en"],
        description={"en": "mmdb-writer test data (%s, %d-bit records)" % (layout, record_size)},
        ipv4_compatible=(layout == "mapped"))
    networks = []
    records = {}
    for net in random_networks(rng, layout, network_count):
        # Several networks share each record (as in real databases), so offsets repeat.
        key = rng.randrange(40)
        if key not in records:
            records[key] = record_for(rng)
        record, codes = records[key]
        writer.insert_network(IPSet([str(net)]), record)
        networks.append([str(net), *codes])
    if layout == "mapped":
        graft_aliases(writer.tree)
    FixedRecordSizeWriter.forced = record_size
    FixedRecordSizeWriter(writer.tree, writer._build_meta(), writer.int_type, writer.float_type).write(path)
    return networks


def located(record):
    if not isinstance(record, dict):
        return None
    for key in ("country", "registered_country"):
        if isinstance(record.get(key), dict) and "iso_code" in record[key]:
            return record[key]["iso_code"]
    return record.get("country_code")


def random_addresses(rng, layout, networks, count):
    result = []
    for index in range(count):
        if networks and index % 2 == 0:
            net = ipaddress.ip_network(rng.choice(networks)[0])
            address = net.network_address + rng.randrange(net.num_addresses)
        elif layout == "ipv4" or (layout == "mapped" and index % 4 == 1):
            address = ipaddress.IPv4Address(rng.getrandbits(32))
        else:
            address = ipaddress.IPv6Address(rng.getrandbits(128))
        if layout == "mapped" and address.version == 4 and index % 8 == 2:
            address = ipaddress.IPv6Address((0xFFFF << 32) | int(address))  # through the alias
        if layout == "mapped" and address.version == 4 and index % 8 == 4:
            address = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80))  # 6to4 alias
        result.append(str(address))
    return result


MMDBLOOKUP_TYPE = re.compile(r"\s<[a-z0-9_]+>")


def mmdblookup(path, address):
    out = subprocess.run(["mmdblookup", "--file", path, "--ip", address], capture_output=True, text=True)
    if "Could not find an entry" in out.stdout + out.stderr:
        return None
    if out.returncode != 0:
        raise SystemExit("mmdblookup failed for %s: %s" % (address, out.stderr))
    # mmdblookup prints JSON-like text without commas and with "<type>" after each value.
    lines = [line.strip() for line in MMDBLOOKUP_TYPE.sub("", out.stdout).splitlines() if line.strip()]
    for index in range(len(lines) - 1):
        if not lines[index].endswith((":", "{", "[")) and not lines[index + 1].startswith(("}", "]")):
            lines[index] += ","
    return located(json.loads("\n".join(lines)))


def write_tor(out, geoip, geoip6):
    """A world-size database from tor-geoipdb (ranges split into networks)."""
    writer = mmdb_writer.MMDBWriter(ip_version=6, database_type="GeoFilter-Tor-GeoIP", languages=["en"],
                                    description={"en": "tor-geoipdb (IPFire Location, CC BY-SA 4.0)"},
                                    ipv4_compatible=True)
    by_code = {}
    for path, v6 in ((geoip, False), (geoip6, True)):
        with open(path) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                low, high, code = line.strip().split(",")[:3]
                if code == "??":
                    continue
                if v6:
                    low, high = ipaddress.IPv6Address(low), ipaddress.IPv6Address(high)
                else:
                    low, high = ipaddress.IPv4Address(int(low)), ipaddress.IPv4Address(int(high))
                by_code.setdefault(code, []).extend(ipaddress.summarize_address_range(low, high))
    for code, nets in sorted(by_code.items()):
        writer.insert_network(IPSet([str(n) for n in nets]), {"country": {"iso_code": code}})
    graft_aliases(writer.tree)
    writer.to_db_file(out)


def main():
    if sys.argv[1] == "--tor":
        write_tor(*sys.argv[2:5])
        return
    outdir, seed = sys.argv[1], int(sys.argv[2])
    address_count = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    sample = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(seed)
    manifest = {"databases": [], "seed": seed}
    pool = ThreadPoolExecutor(max_workers=2)
    for layout in ("ipv4", "ipv6", "mapped"):
        for record_size in (24, 28, 32):
            path = os.path.join(outdir, "test-%s-%d.mmdb" % (layout, record_size))
            networks = write(path, layout, record_size, rng, rng.randint(200, 3000))
            reader = maxminddb.open_database(path, maxminddb.MODE_MEMORY)
            assert reader.metadata().record_size == record_size
            lookups = []
            for address in random_addresses(rng, layout, networks, address_count):
                record, prefix = reader.get_with_prefix_len(address)
                if ":" in address and layout == "ipv4":
                    continue
                lookups.append([address, prefix if record is not None else None, located(record)])
            checked = lookups[:sample]
            answers = list(pool.map(lambda entry: mmdblookup(path, entry[0]), checked))
            for entry, answer in zip(checked, answers):
                if answer != entry[2]:
                    raise SystemExit("maxminddb and mmdblookup disagree on %s in %s: %r vs %r" % (entry[0], path, entry[2], answer))
            manifest["databases"].append({"path": path, "layout": layout, "record_size": record_size,
                                          "networks": networks, "lookups": lookups, "mmdblookup_checked": len(checked)})
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f)


if __name__ == "__main__":
    main()
