#!/usr/bin/env python3
"""Agreement of `leakscope events` with tshark on the public corpus.

For every capture listed in ../shared/corpus/MANIFEST.tsv, both tools list
the name-resolution questions they see (DNS over UDP and TCP, mDNS, LLMNR,
cleartext DoH, NetBIOS-NS name queries) as a set of (family, client,
client_port, server, server_port, qname, qtype): a query keyed from its
sender, a response from its receiver (the client's side).  The script
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
    "CAA": 257, "TA": 32768, "DLV": 32769, "NB": 32, "NBSTAT": 33,
}

# Questions tshark shows that leakscope does not, explained one by one.
KNOWN = {
    "zeek/Traces/dns-inverse-query.pcap":
        "link type FDDI (10) is not one leakscope reads; it says so and exits 2",
    "suricata-verify/dns/dns-truncated-rname/poc2.pcap":
        "DNS over TCP on port 1053 (tshark only with -d tcp.port==1053,dns) whose only query has a name "
        "over 255 bytes: leakscope recognises DNS on other ports only from a query that parses",
}


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


def norm_nbns(n, tshark):
    """NetBIOS names: tshark writes "NAME<20> (Workstation/Redirector)" with
    odd bytes inside the name as <hh> and the 15-byte padding of "*" as
    <00>s; leakscope writes "NAME<20>" with odd bytes as \\DDD and the padding
    stripped.  Compare the bytes of the name and the suffix."""
    n = re.sub(r" \(.*\)$", "", n)
    m = re.match(r"^(.*)<([0-9a-fA-F]{2})>$", n)
    if not m:
        return n.lower()
    body, suffix = m.group(1), m.group(2).lower()
    if tshark:
        body = re.sub(r"<([0-9a-fA-F]{2})>", lambda x: chr(int(x.group(1), 16)), body)
    else:
        body = re.sub(r"\\([0-9]{3})", lambda x: chr(int(x.group(1))), body)
    body = body.rstrip("\x00 ")
    return "%s<%s>" % (body.lower(), suffix)


def last(v):
    return v.split("\x1f")[-1] if v else ""


def family_of(proto_ports, transport, protocols):
    """The comparison family of a DNS-carrying frame, from its ports."""
    if "http" in protocols.split(":"):
        return "doh"
    if "http2" in protocols.split(":"):
        return "doh"
    if "53" in proto_ports:
        return "dns-" + transport
    if transport == "udp" and "5353" in proto_ports:
        return "mdns"
    if "5355" in proto_ports:
        return "llmnr"
    return "dns-" + transport  # DNS on another port (DNSCrypt certificates on 443, ...)


def collapse_multicast(k):
    """mDNS, LLMNR and NetBIOS-NS questions go to a group (or broadcast) and
    are answered by unicast from whoever knows: leakscope keeps one row per
    question (server: the group), tshark one per message.  Compare them by
    the client's side and the question only."""
    if k[0] in ("mdns", "llmnr", "nbns"):
        return (k[0], k[1], k[2], "*", "*", k[5], k[6])
    return k


def tshark_set(path, decode_as=None):
    """(family, client, client_port, server, server_port, name, type) of every
    question tshark shows: DNS over UDP and TCP, mDNS, LLMNR, DoH it decodes,
    NetBIOS-NS name queries."""
    cmd = ["tshark", "-n", "-r", path] + (decode_as or []) + ["-Y", "dns || mdns || llmnr || nbns", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=\x1f",
           "-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst",
           "-e", "udp.srcport", "-e", "udp.dstport", "-e", "dns.flags.response",
           "-e", "dns.qry.name", "-e", "dns.qry.type", "-e", "frame.protocols",
           "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "dns.count.queries",
           "-e", "nbns.flags.response", "-e", "nbns.flags.opcode", "-e", "nbns.name", "-e", "nbns.type"]
    out = subprocess.run(cmd, capture_output=True).stdout.decode("utf-8", "replace")
    s = set()
    noname = set()
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 17:
            continue
        # innermost IP: tshark lists every layer, the last is the one carrying UDP;
        # with both families (6in4, 4in6, Teredo) frame.protocols says which came last
        src = last(f[0] or f[1])
        dst = last(f[2] or f[3])
        if f[0] and f[1]:
            layers = [p for p in f[9].split(":") if p in ("ip", "ipv6")]
            if layers and layers[-1] == "ipv6":
                src, dst = last(f[1]), last(f[3])
            else:
                src, dst = last(f[0]), last(f[2])
        transport = "udp" if f[4] else "tcp"
        sp, dp = (last(f[4]), last(f[5])) if f[4] else (last(f[10]), last(f[11]))
        if f[15]:
            # NetBIOS-NS: name queries only (registrations are announcements)
            if f[14].split("\x1f")[0] not in ("0", "0x00", "0x0"):
                continue
            resp = f[13].split("\x1f")[0] in ("1", "True")
            for n, t in zip(f[15].split("\x1f"), f[16].split("\x1f")):
                key = ("nbns",) + ((dst, dp, src, sp) if resp else (src, sp, dst, dp)) + (norm_nbns(n, True), int(t))
                s.add(collapse_multicast(key))
            continue
        fam = family_of((sp, dp), transport, f[9])
        if not f[7]:
            # tshark gave up on the question (its "[Malformed Packet]")
            noname.add((fam, src, sp, dst, dp))
            noname.add((fam, dst, dp, src, sp))
            continue
        flags = f[6].split("\x1f")
        counts = [int(c) if c.isdigit() else 0 for c in f[12].split("\x1f")] if f[12] else [len(f[7].split("\x1f"))]
        names = f[7].split("\x1f")
        types = f[8].split("\x1f")
        # several messages in one TCP segment: each has its own QR flag
        msg_of = []
        for m, c in enumerate(counts):
            msg_of += [m] * c
        for i, (n, t) in enumerate(zip(names, types)):
            m = msg_of[i] if i < len(msg_of) else 0
            resp = (flags[m] if m < len(flags) else flags[0]) in ("1", "True")
            key = (fam,) + ((dst, dp, src, sp) if resp else (src, sp, dst, dp)) + (norm_name(n), int(t))
            s.add(collapse_multicast(key))
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
    fams = {"dns-udp": "dns-udp", "dns-tcp": "dns-tcp", "mdns": "mdns", "llmnr": "llmnr", "nbns": "nbns",
            "doh": "doh"}
    for line in rows[1:]:
        d = dict(zip(hdr, line.split("\t")))
        if d["proto"] not in fams or d["qname"] == "-":
            continue  # DoT, DoQ and TLS DoH: no name to compare
        name = norm_nbns(d["qname"], False) if d["proto"] == "nbns" else norm_name(unescape_presentation(d["qname"]))
        s.add(collapse_multicast((fams[d["proto"]], d["client"], d["client_port"], d["server"], d["server_port"],
                                  name, qtype_num(d["qtype"]))))
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
    decode_as = {}
    with open(manifest) as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    files = sorted({row["file"] for row in rows})
    for row in rows:
        # tshark needs to be told about DNS on odd ports (LLMNR over TCP)
        if row.get("tshark_decode_as", "-") not in ("", "-"):
            decode_as[row["file"]] = row["tshark_decode_as"].split()
    tot_t = tot_found = tot_extra = 0
    fam_t, fam_found, fam_extra = {}, {}, {}
    all_t, all_found = set(), set()
    failures = []
    undecodable = []
    crashes = []
    for rel in files:
        path = os.path.join(corpus, rel)
        if not os.path.exists(path):
            continue
        t, t_noname = tshark_set(path, decode_as.get(rel))
        l, rc, err = leakscope_set(binary, path)
        found = t & l
        extra = l - t
        missing = t - l
        # A question leakscope could not decode (compression loop, forward
        # pointer, name over 255 bytes) is still reported, as "(undecodable)":
        # it matches tshark's question on the same endpoints.
        for k in sorted(extra):
            if k[5] != "(undecodable)":
                continue
            same = sorted(m for m in missing if m[:5] == k[:5])
            if same:
                missing.discard(same[0])
                extra.discard(k)
                found = found | {same[0]}
                undecodable.append((rel, same[0][5]))
            elif k[:5] in t_noname:
                extra.discard(k)
                undecodable.append((rel, "no name at all: tshark marks the packet [Malformed Packet]"))
        tot_t += len(t)
        tot_found += len(found)
        tot_extra += len(extra)
        all_t |= {(rel,) + k[1:] if False else k + (rel,) for k in t}
        all_found |= {k + (rel,) for k in found}
        for k in t:
            fam_t[k[0]] = fam_t.get(k[0], 0) + 1
        for k in found:
            fam_found[k[0]] = fam_found.get(k[0], 0) + 1
        for k in extra:
            fam_extra[k[0]] = fam_extra.get(k[0], 0) + 1
        if t or l or rc == 2:
            print("%-70s tshark %4d  found %4d  extra %3d%s" % (rel, len(t), len(found), len(extra),
                  "  (exit %d: %s)" % (rc, err[:80]) if rc == 2 else ""))
        for k in sorted(missing)[:5]:
            print("    missing: %s" % (k,))
        if missing and rel in KNOWN:
            print("    explained: %s" % KNOWN[rel])
        for k in sorted(extra)[:5]:
            print("    extra:   %s" % (k,))
        if extra:
            failures.append(rel)
        if rc not in (0, 1, 2) or (rc == 2 and rel not in KNOWN):
            # a crash or a sanitizer report (make sanitize runs this too)
            print("    leakscope exited %d: %s" % (rc, err[-300:]))
            crashes.append(rel)
    for rel, name in undecodable:
        print("compare-tshark: explained: %s: tshark shows %s where leakscope reports the question as (undecodable)" % (rel, name if name.startswith("no name") else repr(name)))
    u53 = [k for k in all_t if k[0] == "dns-udp" and "53" in (k[2], k[4])]
    u53f = [k for k in u53 if k in all_found]
    print("compare-tshark: DNS over UDP port 53 alone: %d of %d found (%.2f%%)" % (
        len(u53f), len(u53), 100.0 * len(u53f) / len(u53) if u53 else 100.0))
    for fam in sorted(set(fam_t) | set(fam_extra)):
        n = fam_t.get(fam, 0)
        print("compare-tshark: %-15s %4d of %4d found (%.2f%%), %d extra" % (
            fam, fam_found.get(fam, 0), n, 100.0 * fam_found.get(fam, 0) / n if n else 100.0, fam_extra.get(fam, 0)))
    pct = 100.0 * tot_found / tot_t if tot_t else 100.0
    print("compare-tshark: %d of %d tshark questions found (%.2f%%), %d extra, over %d files"
          % (tot_found, tot_t, pct, tot_extra, len(files)))
    if crashes:
        print("compare-tshark: leakscope failed on %d file(s): %s" % (len(crashes), ", ".join(crashes)))
    ok = pct >= 99.0 and tot_extra == 0 and not crashes
    print("compare-tshark: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
