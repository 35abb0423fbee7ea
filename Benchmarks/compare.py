#!/usr/bin/env python3
"""Run a peer tool and GeoFilter side by side on the same input, in one run, and print ratios.

Each case is run ROUNDS times, alternating peer and ours so both see the same machine state;
the medians of the whole-process wall time and the peak resident memory are compared.

Usage: compare.py WORKDIR DEMO [ROUNDS]
"""
import os
import shutil
import statistics
import subprocess
import sys
import time


def measure(argv):
    """Wall time (s) and peak RSS (MB) of one whole-process run; output is discarded."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit("%s failed: %s" % (" ".join(argv), process.stderr.read().decode()))
    return elapsed, usage.ru_maxrss / 1024.0


def compare(name, peer, ours, rounds, max_ratio=None, max_memory=None):
    peer_times, our_times, our_memory = [], [], []
    for _ in range(rounds):
        peer_times.append(measure(peer)[0])
        elapsed, memory = measure(ours)
        our_times.append(elapsed)
        our_memory.append(memory)
    peer_median = statistics.median(peer_times)
    our_median = statistics.median(our_times)
    ratio = our_median / peer_median
    memory = max(our_memory)
    verdicts = []
    if max_ratio is not None:
        verdicts.append("ratio %s (bar %.2fx)" % ("ok" if ratio <= max_ratio else "OVER", max_ratio))
    if max_memory is not None:
        verdicts.append("memory %s (bar %d MB)" % ("ok" if memory <= max_memory else "OVER", max_memory))
    print("%-44s peer %7.1f ms   ours %7.1f ms   ratio %.2fx   ours peak %6.1f MB   %s" % (
        name, peer_median * 1000, our_median * 1000, ratio, memory, "; ".join(verdicts)))
    return (max_ratio is None or ratio <= max_ratio) and (max_memory is None or memory <= max_memory)


def in_namespace(argv, stdin_path=None):
    """argv run in a fresh network namespace, created and deleted around the timed run."""
    name = "gfcmp-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        start = time.perf_counter()
        with open(stdin_path or os.devnull, "rb") as stdin:
            result = subprocess.run(["ip", "netns", "exec", name] + argv, stdin=stdin,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit("%s failed: %s" % (" ".join(argv), result.stderr.decode()))
        return elapsed
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=True)


def compare_ipset(work, demo, rounds):
    """ipset restore of the plan's sets vs our in-process libipset apply (sets and iptables rules)."""
    policy = ["--block", "@AF,@AN,@AS,@EU,@NA,@OC,@SA,-US,-CA,-GB,-DE,-FR,-NL"]
    script = subprocess.run([demo, "plan"] + policy + ["--format", "ipset"], check=True,
                            capture_output=True, text=True).stdout
    sets = script.split("# iptables-restore")[0]
    path = os.path.join(work, "allbutsix.ipset")
    with open(path, "w") as handle:
        handle.write(sets)
    entries = sum(1 for line in sets.splitlines() if line.startswith("add "))
    peer_times, our_times = [], []
    for _ in range(rounds):
        peer_times.append(in_namespace(["ipset", "restore"], path))
        our_times.append(in_namespace([demo, "apply"] + policy + ["--backend", "ipset"]))
    peer, ours = statistics.median(peer_times), statistics.median(our_times)
    ratio = ours / peer
    print("%-44s peer %7.1f ms   ours %7.1f ms   ratio %.2fx   %s" % (
        "ipset: block all but six (%d entries)" % entries, peer * 1000, ours * 1000, ratio,
        "ratio %s (bar 0.80x)" % ("ok" if ratio <= 0.8 else "OVER")))
    print("  peer: ipset restore of the sets alone; ours: geofilter-demo apply --backend ipset, whole process:")
    print("  load the bundled database, compile, fill the sets through libipset, swap, iptables-restore for both families")
    return ratio <= 0.8


def compare_lookups(work, demo, rounds):
    """Bulk lookups: `geofilter-demo lookup -` on 1,000,000 random addresses (whole process, the
    database load included) next to a one-at-a-time tool, `mmdblookup` (one process per address,
    on MaxMind's GeoLite2-Country test database), which is how log addresses are often looked up."""
    import random
    generator = random.Random(1)
    path = os.path.join(work, "addresses-1m.txt")
    with open(path, "w") as handle:
        for _ in range(1_000_000):
            if generator.random() < 0.7:
                handle.write("%d.%d.%d.%d\n" % (generator.randrange(1, 224), generator.randrange(256),
                                               generator.randrange(256), generator.randrange(256)))
            else:
                handle.write("2%03x:%x:%x::%x\n" % (generator.randrange(0x400), generator.randrange(65536),
                                                   generator.randrange(65536), generator.randrange(65536)))
    ours = []
    for _ in range(rounds):
        start = time.perf_counter()
        with open(path, "rb") as stdin:
            subprocess.run([demo, "lookup", "-"], stdin=stdin, stdout=subprocess.DEVNULL, check=True)
        ours.append(time.perf_counter() - start)
    rate = 1_000_000 / statistics.median(ours)
    line = "lookup - of 1,000,000 addresses: %.0f ms, %.2f M addresses/s; bar >= 1 M/s: %s" % (
        statistics.median(ours) * 1000, rate / 1e6, "ok" if rate >= 1e6 else "OVER")
    mmdb = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "../../shared/testdata/maxmind-MaxMind-DB/test-data/GeoLite2-Country-Test.mmdb")
    if shutil.which("mmdblookup") and os.path.exists(mmdb):
        sample = open(path).read().split()[:500]
        start = time.perf_counter()
        for address in sample:
            subprocess.run(["mmdblookup", "--file", mmdb, "--ip", address, "country", "iso_code"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peer_rate = len(sample) / (time.perf_counter() - start)
        line += "; mmdblookup one at a time: %.0f addresses/s (ours %.0fx)" % (peer_rate, rate / peer_rate)
    print(line)
    return rate >= 1e6


def main():
    work, demo = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 11
    a = os.path.join(work, "all-v4-ranges.txt")
    b = os.path.join(work, "block-v4-ranges.txt")
    print("geofilter-demo aggregate vs iprange, median of %d alternating runs, whole process" % rounds)
    ok = True
    ok &= compare("(a) all 385k IPv4 ranges -> CIDRs", ["iprange", a], [demo, "aggregate", a], rounds,
                  max_ratio=1.0, max_memory=200)
    compare("(a) all 385k IPv4 ranges -> ranges", ["iprange", "-j", a], [demo, "aggregate", "--ranges", a], rounds)
    compare("(b) all but US CA GB DE FR NL -> CIDRs", ["iprange", b], [demo, "aggregate", b], rounds)
    compare("(b) all but US CA GB DE FR NL -> ranges", ["iprange", "-j", b], [demo, "aggregate", "--ranges", b], rounds)
    print()
    ok &= compare_lookups(work, demo, max(3, rounds // 2))
    if os.geteuid() == 0:
        print()
        ok &= compare_ipset(work, demo, max(5, rounds // 2))
    else:
        print("ipset comparison skipped: needs root for network namespaces")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
