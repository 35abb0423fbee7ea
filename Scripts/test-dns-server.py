#!/usr/bin/env python3
"""A loopback DNS server for GeoFilter's resolver tests: answers A, AAAA, SRV and CNAME
questions from a zone file, over UDP and TCP on 127.0.0.1, and misbehaves on request.

Usage: test-dns-server.py ZONEFILE   (prints the port on the first line of standard output;
UDP and TCP listen on that same port of 127.0.0.1 only)

The zone file is read again for every question, so a test can change answers between two
resolutions. One record or behaviour per line, '#' comments:

    NAME A 192.0.2.10
    NAME AAAA 2001:db8::10
    NAME CNAME TARGET
    NAME SRV PRIORITY WEIGHT PORT TARGET
    NAME TTL 300                 the TTL of NAME's records (default 60)
    NAME NXDOMAIN                the name does not exist
    NAME SERVFAIL | REFUSED      answer with that response code
    NAME TIMEOUT                 never answer
    NAME TRUNCATE                over UDP: an empty answer with the TC bit; over TCP: the records
    NAME MALFORMED KIND          answer wrongly; KIND is one of:
        short          the answer cut off in the middle of a record
        loop           the answer's record owner is a compression pointer to itself
        forward        the record owner points forward, past itself
        wrong-id       the answer's ID is not the query's
        other-question the answer's question section names another name
        other-owner    correct question, but the records belong to another name
        bad-length     an A record with 5 bytes of data
        long-label     a label of 70 bytes in the record owner
        query          the QR bit is clear (a query, not an answer)

Every question is appended to ZONEFILE.log as a line: "udp|tcp ID NAME TYPE".
Names are matched case-insensitively, without a trailing dot.
"""
import ipaddress
import os
import socket
import struct
import sys
import threading

ZONE = os.path.abspath(sys.argv[1])
LOCK = threading.Lock()
TYPES = {1: "A", 5: "CNAME", 28: "AAAA", 33: "SRV"}
CODES = {"A": 1, "CNAME": 5, "AAAA": 28, "SRV": 33}


def load_zone():
    records = {}
    with open(ZONE) as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            records.setdefault(fields[0].lower().rstrip("."), []).append(fields[1:])
    return records


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_question(data):
    """The ID, the question's name, type and the question's bytes."""
    (ident,) = struct.unpack("!H", data[:2])
    offset = 12
    labels = []
    while data[offset] != 0:
        length = data[offset]
        labels.append(data[offset + 1:offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length
    offset += 1
    qtype, _ = struct.unpack("!HH", data[offset:offset + 4])
    return ident, ".".join(labels).lower(), qtype, data[12:offset + 4]


def rdata(kind, fields):
    if kind == "A":
        return ipaddress.IPv4Address(fields[0]).packed
    if kind == "AAAA":
        return ipaddress.IPv6Address(fields[0]).packed
    if kind == "CNAME":
        return encode_name(fields[0])
    if kind == "SRV":
        return struct.pack("!HHH", int(fields[0]), int(fields[1]), int(fields[2])) + encode_name(fields[3])
    raise ValueError(kind)


def record(owner_bytes, kind, ttl, data):
    return owner_bytes + struct.pack("!HHIH", CODES[kind], 1, ttl, len(data)) + data


def answer(data, transport):
    """The answer bytes for a query, or None for no answer."""
    ident, name, qtype, question = parse_question(data)
    with LOCK:
        with open(ZONE + ".log", "a") as log:
            log.write(f"{transport} {ident} {name} {TYPES.get(qtype, qtype)}\n")
    zone = load_zone()
    entries = zone.get(name, [])
    kinds = {entry[0].upper(): entry[1:] for entry in entries}
    flags = 0x8180  # QR, RD, RA
    code = 0
    if "TIMEOUT" in kinds:
        return None
    if "NXDOMAIN" in kinds or (not entries and name not in zone):
        code = 3
    if "SERVFAIL" in kinds:
        code = 2
    if "REFUSED" in kinds:
        code = 5
    ttl = int(kinds["TTL"][0]) if "TTL" in kinds else 60
    answers = []
    if code == 0:
        # The records of the name, following CNAMEs inside the zone (as a recursive server does).
        current, seen = name, set()
        while current not in seen:
            seen.add(current)
            here = zone.get(current, [])
            matching = [e for e in here if e[0].upper() == TYPES.get(qtype)]
            if matching:
                answers += [(current, e[0].upper(), e[1:]) for e in matching]
                break
            aliases = [e for e in here if e[0].upper() == "CNAME"]
            if not aliases:
                break
            answers.append((current, "CNAME", aliases[0][1:]))
            current = aliases[0][1].lower().rstrip(".")
    truncate = "TRUNCATE" in kinds and transport == "udp"
    if truncate:
        flags |= 0x0200
        answers = []
    malformed = kinds.get("MALFORMED", [None])[0]
    if malformed == "wrong-id":
        ident ^= 0x5A5A
    if malformed == "query":
        flags &= ~0x8000
    if malformed == "other-question":
        question = encode_name("someone-else.example.org") + question[-4:]
    body = b""
    for owner, kind, fields in answers:
        owner_bytes = encode_name(owner)
        if malformed == "other-owner":
            owner_bytes = encode_name("someone-else.example.org")
        elif malformed == "loop":
            position = 12 + len(question) + len(body)
            owner_bytes = struct.pack("!H", 0xC000 | position)
        elif malformed == "forward":
            position = 12 + len(question) + len(body)
            owner_bytes = struct.pack("!H", 0xC000 | (position + 4))
        elif malformed == "long-label":
            owner_bytes = bytes([70]) + b"a" * 70 + b"\0"
        data_bytes = rdata(kind, fields)
        if malformed == "bad-length" and kind == "A":
            data_bytes += b"\0"
        body += record(owner_bytes, kind, ttl, data_bytes)
    header = struct.pack("!HHHHHH", ident, flags | code, 1, len(answers), 0, 0)
    message = header + question + body
    if malformed == "short":
        message = message[:len(message) - 3]
    return message


def serve_udp(sock):
    while True:
        data, peer = sock.recvfrom(65535)
        try:
            reply = answer(data, "udp")
        except Exception as error:  # a test's broken query must not stop the server
            print(f"test-dns-server: {error}", file=sys.stderr)
            continue
        if reply is not None:
            sock.sendto(reply, peer)


def serve_tcp_client(connection):
    with connection:
        try:
            length_bytes = connection.recv(2)
            if len(length_bytes) < 2:
                return
            (length,) = struct.unpack("!H", length_bytes)
            data = b""
            while len(data) < length:
                chunk = connection.recv(length - len(data))
                if not chunk:
                    return
                data += chunk
            reply = answer(data, "tcp")
            if reply is None:
                threading.Event().wait(60)
                return
            connection.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            pass


def serve_tcp(sock):
    while True:
        connection, _ = sock.accept()
        threading.Thread(target=serve_tcp_client, args=(connection,), daemon=True).start()


def exit_with_parent():
    """Ends the server when the test process that started it is gone (even if it crashed
    before stopping it), so no server outlives its test run."""
    parent = os.getppid()
    while True:
        threading.Event().wait(0.5)
        if os.getppid() != parent:
            os._exit(0)


def main():
    threading.Thread(target=exit_with_parent, daemon=True).start()
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind(("127.0.0.1", port))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(16)
        break
    else:
        print("test-dns-server: no free port", file=sys.stderr)
        return 1
    threading.Thread(target=serve_tcp, args=(tcp,), daemon=True).start()
    print(port, flush=True)
    serve_udp(udp)


if __name__ == "__main__":
    sys.exit(main())
