#!/usr/bin/env python3
"""Agreement of `leakscope events` with tshark on the public corpus.

For every capture listed in ../shared/corpus/MANIFEST.tsv, both tools list
the DNS questions carried over UDP port 53 as a set of
(client, client_port, server, server_port, qname, qtype): a query keyed from
its sender, a response from its receiver (the client's side).  The script
prints, per file and in total, how many of tshark's questions leakscope found
and what leakscope reports that tshark does not, then exits 1 when fewer than
99% were found or anything extra was reported, unless the difference is
listed in KNOWN below with the reason.

Skips (exit 0, says so) when tshark or the corpus is missing.
usage: compare-tshark.py LEAKSCOPE [CORPUS_DIR]
"""
import csv
import os
import re
import shutil
import subprocess
import sys

# qtype names leakscope prints -> numbers tshark prints
QTYPES = {
    "A": 1, "NS": 2, "MD": 3, "MF": 4, "CNAME": 5, "SOA": 6, "MB": 7, "MG": 8, "MR": 9, "NULL": 10,
    "WKS": 11, "PTR": 12, "HINFO": 13, "MINFO": 14, "MX": 15, "TXT": 16, "RP": 17, "AFSDB": 18,
    "SIG": 24, "KEY": 25, "AAAA": 28, "LOC": 29, "NXT": 30, "SRV": 33, "NAPTR": 35, "KX": 36,
    "CERT": 37, "A6": 38, "DNAME": 39, "OPT": 41, "APL": 42, "DS": 43, "SSHFP": 44, "IPSECKEY": 45,
    "RRSIG": 46, "NSEC": 47, "DNSKEY": 48, "DHCID": 49, "NSEC3": 50, "NSEC3PARAM": 51, "TLSA": 52,
    "SMIMEA": 53, "HIP": 55, "CDS": 59, "CDNSKEY": 60, "OPENPGPKEY": 61, "CSYNC": 62, "ZONEMD": 63,
    "SVCB": 64, "HTTPS": 65, "SPF": 99, "NID": 104, "EUI48": 108, "EUI64": 109, "TKEY": 249,
    "TSIG": 250, "IXFR": 251, "AXFR": 252, "MAILB": 253, "MAILA": 254, "ANY": 255, "URI": 256,
    "CAA": 257, "TA": 32768, "DLV": 32769,
}

# Differences explained one by one: (file suffix, kind, key-substring) -> reason
KNOWN = {}


def qtype_num(s):
    if s in QTYPES:
        return QTYPES[s]
    if s.startswith("TYPE") and s[4:].isdigit():
        return int(s[4:])
    raise ValueError("unknown qtype name %r: add it to QTYPES" % s)


def norm_name(n):
    """Both tools escape odd bytes differently (tshark: raw bytes or \\ooo,
    leakscope: \\DDD), so compare with every run of bytes outside printable
    ASCII, and every backslash escape, folded to one '?'."""
    if n in (".", "<Root>", "<root>"):
        return "."
    n = re.sub(r"\\[0-9]{3}", "\x00", n)
    n = "".join(c if 0x20 < ord(c) < 0x7f else "\x00" for c in n)
    n = re.sub("\x00+", "?", n)
    return n.rstrip(".").lower()


def tshark_set(path):
    cmd = ["tshark", "-n", "-r", path, "-Y", "dns && udp.port==53", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=\x1f",
           "-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst",
           "-e", "udp.srcport", "-e", "udp.dstport", "-e", "dns.flags.response",
           "-e", "dns.qry.name", "-e", "dns.qry.type", "-e", "frame.protocols"]
    out = subprocess.run(cmd, capture_output=True).stdout.decode("utf-8", "replace")
    s = set()
    noname = set()
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 9:
            continue
        if not f[7]:
            # tshark gave up on the question (its "[Malformed Packet]")
            src = (f[0] or f[1]).split("\x1f")[-1]
            dst = (f[2] or f[3]).split("\x1f")[-1]
            sp, dp = f[4].split("\x1f")[-1], f[5].split("\x1f")[-1]
            noname.add((src, sp, dst, dp))
            noname.add((dst, dp, src, sp))
            continue
        # innermost IP: tshark lists every layer, the last is the one carrying UDP
        # innermost IP: tshark lists every layer, the last is the one carrying UDP;
        # with both families (6in4, 4in6, Teredo) frame.protocols says which came last
        src = (f[0] or f[1]).split("\x1f")[-1]
        dst = (f[2] or f[3]).split("\x1f")[-1]
        if f[0] and f[1] and len(f) > 9:
            layers = [p for p in f[9].split(":") if p in ("ip", "ipv6")]
            if layers and layers[-1] == "ipv6":
                src, dst = f[1].split("\x1f")[-1], f[3].split("\x1f")[-1]
            else:
                src, dst = f[0].split("\x1f")[-1], f[2].split("\x1f")[-1]
        sp, dp = f[4].split("\x1f")[-1], f[5].split("\x1f")[-1]
        resp = f[6].split("\x1f")[0] in ("1", "True")
        names = f[7].split("\x1f")
        types = f[8].split("\x1f")
        for n, t in zip(names, types):
            if resp:
                key = (dst, dp, src, sp, norm_name(n), int(t))
            else:
                key = (src, sp, dst, dp, norm_name(n), int(t))
            s.add(key)
    return s, noname


def unescape_presentation(n):
    """leakscope writes bytes outside 0x21..0x7e as \\DDD and escapes '.' and
    '\\' inside labels; tshark prints the raw bytes.  Turn ours back into
    bytes and decode both sides the same way (invalid UTF-8 replaced)."""
    out, i = bytearray(), 0
    while i < len(n):
        c = n[i]
        if c == "\\" and n[i + 1:i + 4].isdigit() and len(n[i + 1:i + 4]) == 3:
            out.append(int(n[i + 1:i + 4]) & 0xff)
            i += 4
        elif c == "\\" and i + 1 < len(n):
            out += n[i + 1].encode()
            i += 2
        else:
            out += c.encode("utf-8", "surrogateescape")
            i += 1
    return out.decode("utf-8", "replace")


def leakscope_set(binary, path):
    r = subprocess.run([binary, "events", path], capture_output=True, text=True, errors="replace")
    s = set()
    rows = r.stdout.splitlines()
    if not rows:
        return s, r.returncode, r.stderr.strip()
    hdr = rows[0].split("\t")
    for line in rows[1:]:
        d = dict(zip(hdr, line.split("\t")))
        if d["proto"] != "dns-udp" or "53" not in (d["server_port"], d["client_port"]):
            continue
        if d["server_port"] != "53" and d["client_port"] != "53":
            continue
        s.add((d["client"], d["client_port"], d["server"], d["server_port"],
               norm_name(unescape_presentation(d["qname"])), qtype_num(d["qtype"])))
    return s, r.returncode, r.stderr.strip()


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "..", "shared", "corpus")
    manifest = os.path.join(corpus, "MANIFEST.tsv")
    if not shutil.which("tshark"):
        print("compare-tshark: SKIP: tshark not installed")
        return 0
    if not os.path.exists(manifest):
        print("compare-tshark: SKIP: no corpus at %s" % corpus)
        return 0
    with open(manifest) as fh:
        files = sorted({row["file"] for row in csv.DictReader(fh, delimiter="\t")})
    tot_t = tot_found = tot_extra = 0
    failures = []
    undecodable = []
    for rel in files:
        path = os.path.join(corpus, rel)
        if not os.path.exists(path):
            continue
        t, t_noname = tshark_set(path)
        l, rc, err = leakscope_set(binary, path)
        found = t & l
        extra = l - t
        missing = t - l
        # A question leakscope could not decode (compression loop, forward
        # pointer, name over 255 bytes) is still reported, as "(undecodable)":
        # it matches tshark's question on the same endpoints.
        for k in sorted(extra):
            if k[4] != "(undecodable)":
                continue
            same = sorted(m for m in missing if m[:4] == k[:4])
            if same:
                missing.discard(same[0])
                extra.discard(k)
                found = found | {same[0]}
                undecodable.append((rel, same[0][4]))
            elif k[:4] in t_noname:
                extra.discard(k)
                undecodable.append((rel, "no name at all: tshark marks the packet [Malformed Packet]"))
        tot_t += len(t)
        tot_found += len(found)
        tot_extra += len(extra)
        if t or l or rc == 2:
            print("%-70s tshark %4d  found %4d  extra %3d%s" % (rel, len(t), len(found), len(extra),
                  "  (exit %d: %s)" % (rc, err[:80]) if rc == 2 else ""))
        for k in sorted(missing)[:5]:
            print("    missing: %s" % (k,))
        for k in sorted(extra)[:5]:
            print("    extra:   %s" % (k,))
        if extra:
            failures.append(rel)
    for rel, name in undecodable:
        print("compare-tshark: explained: %s: tshark shows %s where leakscope reports the question as (undecodable)" % (rel, name if name.startswith("no name") else repr(name)))
    pct = 100.0 * tot_found / tot_t if tot_t else 100.0
    print("compare-tshark: %d of %d tshark questions found (%.2f%%), %d extra, over %d files"
          % (tot_found, tot_t, pct, tot_extra, len(files)))
    ok = pct >= 99.0 and tot_extra == 0
    print("compare-tshark: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
