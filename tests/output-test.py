#!/usr/bin/env python3
"""output-test.py - the machine-readable outputs, checked from outside.

events --format json on every sample capture: every line validates against
reports/events.schema.json (python3-jsonschema) and says what the TSV row
of the same question says (the TSV is a separate writer); analyze's
summary.json validates against reports/summary.schema.json and agrees with
summary.xml; findings.csv parses as CSV (Python's csv module) with one row
per leak of the TSV.  Then a hostile capture, built here: query names that
are spreadsheet formulas or hold quotes and commas, a TXT answer with a
comma, in a file whose name holds a newline, a quote and a byte that is not
UTF-8: every JSON line must parse, every CSV cell come back as written
(formula cells behind a leading ').

usage: output-test.py LEAKSCOPE"""
import csv
import glob
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

try:
    import jsonschema
except ImportError:
    print("output-test: SKIP: python3-jsonschema not installed")
    sys.exit(0)

BIN = sys.argv[1]
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EV = jsonschema.Draft7Validator(json.load(open(os.path.join(TOP, "reports/events.schema.json"))))
SU = jsonschema.Draft7Validator(json.load(open(os.path.join(TOP, "reports/summary.schema.json"))))
fails = 0


def fail(msg):
    global fails
    fails += 1
    print("output-test: FAIL:", msg, file=sys.stderr)


def run(*args):
    p = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode not in (0, 1):
        fail("%s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr.decode(errors="replace")))
    return p.stdout


def tsv_rows(data):
    lines = data.decode("utf-8", errors="surrogateescape").split("\n")
    hdr = lines[0].split("\t")
    return [dict(zip(hdr, l.split("\t"))) for l in lines[1:] if l]


def check_capture(cap, tunnel):
    jl = run("events", "--format", "json", "--tunnel", tunnel, cap).decode("utf-8").splitlines()
    tv = tsv_rows(run("events", "--tunnel", tunnel, cap))
    if len(jl) != len(tv):
        fail("%s: %d JSON lines, %d TSV rows" % (cap, len(jl), len(tv)))
        return 0
    for line, row in zip(jl, tv):
        o = json.loads(line)
        for err in EV.iter_errors(o):
            fail("%s frame %s: %s" % (cap, o.get("frame"), err.message))
        want = {
            "time": row["time"], "service": row["proto"], "id.orig_h": row["client"],
            "id.orig_p": int(row["client_port"]), "id.resp_h": row["server"], "id.resp_p": int(row["server_port"]),
            "query": None if row["qname"] == "-" else row["qname"],
            "qtype_name": None if row["qtype"] == "-" else row["qtype"],
            "rcode_name": None if row["rcode"] == "-" else row["rcode"],
            "sni": None if row["sni"] == "-" else row["sni"], "path": row["path"], "file": row["file"],
            "frame": int(row["frame"]), "host": None if row["host"] == "-" else row["host"],
            "verdict": row["verdict"], "category": row["category"], "severity": row["severity"],
        }
        for k, v in want.items():
            if o.get(k) != v:
                fail("%s frame %s: %s is %r in JSON, %r in TSV" % (cap, row["frame"], k, o.get(k), v))
        ans = ",".join("%s %s" % tv_ for tv_ in zip(o.get("answer_types", []), o.get("answers", [])))
        if o.get("answers_cut"):
            ans += ",..."
        if ans != ("" if row["answers"] == "-" else row["answers"]):
            fail("%s frame %s: answers %r vs TSV %r" % (cap, row["frame"], ans, row["answers"]))
        # Zeek's ts is the same instant as time
        sec, frac = row["time"][:19], row["time"][20:26]
        import calendar, time as _t
        epoch = calendar.timegm(_t.strptime(sec, "%Y-%m-%dT%H:%M:%S"))
        if "%d.%s" % (epoch, frac) != line.split('"ts":', 1)[1].split(",", 1)[0]:
            fail("%s frame %s: ts does not match time %s" % (cap, row["frame"], row["time"]))
    return len(jl)


def check_analyze(cap, tunnel, out):
    run("analyze", "-q", "--tunnel", tunnel, "-o", out, cap)
    s = json.load(open(os.path.join(out, "summary.json")))
    for err in SU.iter_errors(s):
        fail("%s summary.json: %s" % (cap, err.message))
    x = ET.parse(os.path.join(out, "summary.xml")).getroot()
    ns = {"r": "urn:leakscope:report:1"}
    xhosts = x.findall(".//r:hosts/r:host", ns) or x.findall(".//r:host", ns)
    got = sorted((h["id"], h["leaks"], h["events"], h["verdict"]) for h in s["hosts"])
    want = sorted((h.get("id"), int(h.get("leaks")), int(h.get("events")), h.get("verdict")) for h in xhosts)
    if got != want:
        fail("%s: summary.json hosts %s, summary.xml %s" % (cap, got, want))
    rows = list(csv.DictReader(open(os.path.join(out, "findings.csv"), newline="")))
    leaks = [r for r in tsv_rows(run("events", "--tunnel", tunnel, cap)) if r["verdict"] == "leak"]
    if [(r["host"], r["frame"], r["category"]) for r in rows] != [(r["host"], r["frame"], r["category"]) for r in leaks]:
        fail("%s: findings.csv rows %d, TSV leaks %d" % (cap, len(rows), len(leaks)))
    if s["leaks"] != len(leaks):
        fail("%s: summary.json leaks %d, TSV %d" % (cap, s["leaks"], len(leaks)))
    return len(rows)


def dns_name(n):
    return b"".join(bytes([len(l)]) + l for l in n) + b"\0"


def packet(src, dst, sport, dport, dns):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(dns), 0) + dns
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes(src), bytes(dst))
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + udp


def hostile_capture(path):
    """A capture with DNS exchanges whose names are made to hurt."""
    names = [[b"=HYPERLINK(\"http://x\"", b"1)"], [b"+cmd|' /C calc'!A0"], [b"@SUM(1", b"1)"],
             [b"-2+3", b"example"], [b"a,b\"c", b"example"]]
    cli, srv = [192, 168, 1, 10], [192, 168, 1, 1]
    recs = []
    t = 1700000000
    for i, n in enumerate(names):
        q = struct.pack("!HHHHHH", 0x100 + i, 0x0100, 1, 0, 0, 0) + dns_name(n) + struct.pack("!HH", 16, 1)
        txt = b"v=1,x"  # a TXT string with a comma
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 60, 1 + len(txt)) + bytes([len(txt)]) + txt
        r = struct.pack("!HHHHHH", 0x100 + i, 0x8180, 1, 1, 0, 0) + dns_name(n) + struct.pack("!HH", 16, 1) + rr
        recs.append((t + i, packet(cli, srv, 40000 + i, 53, q)))
        recs.append((t + i, packet(srv, cli, 53, 40000 + i, r)))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts, p in recs:
            f.write(struct.pack("<IIII", ts, 500000, len(p), len(p)) + p)
    # as DNS presentation format writes them: a space is \\032
    return [b".".join(n).decode().replace(" ", "\\032") for n in names]


def main():
    n = 0
    caps = sorted(glob.glob(os.path.join(TOP, "samples/*/*.pcap")))
    for cap in caps:
        n += check_capture(cap, os.path.join(os.path.dirname(cap), "tunnel.xml"))
    print("output-test: %d samples, %d JSON lines valid and equal to the TSV rows" % (len(caps), n))
    with tempfile.TemporaryDirectory() as tmp:
        rows = 0
        for cap in caps:
            rows += check_analyze(cap, os.path.join(os.path.dirname(cap), "tunnel.xml"),
                                  os.path.join(tmp, os.path.basename(os.path.dirname(cap)) + os.path.basename(cap)))
        print("output-test: summary.json valid and equal to summary.xml; findings.csv %d rows = the TSV's leaks" % rows)
        # the hostile capture, in a file with a newline, a quote and \xff in its name
        hpath = os.path.join(tmp.encode(), b'evil\n"\xff.pcap')
        names = hostile_capture(hpath)
        tunnel = os.path.join(TOP, "samples/wg-split/tunnel.xml")
        p = subprocess.run([BIN.encode(), b"events", b"--format", b"json", b"--tunnel", tunnel.encode(), hpath],
                           stdout=subprocess.PIPE)
        lines = p.stdout.decode("utf-8").splitlines()  # strict UTF-8: must not raise
        objs = [json.loads(l) for l in lines]
        for o in objs:
            for err in EV.iter_errors(o):
                fail("hostile: %s" % err.message)
        if [o["query"] for o in objs] != names:
            fail("hostile: queries %r, not %r" % ([o["query"] for o in objs], names))
        if not all(o["file"].endswith('evil\n"\ufffd.pcap') for o in objs):
            fail("hostile: file %r" % objs[0]["file"])
        if not all(o["answers"] == ["\"v=1\\044x\""] or o["answers"] == ["v=1\\044x"] for o in objs):
            fail("hostile: answers %r" % [o["answers"] for o in objs])
        out = os.path.join(tmp.encode(), b"hostile-out")
        subprocess.run([BIN.encode(), b"analyze", b"-q", b"--tunnel", tunnel.encode(), b"-o", out, hpath])
        raw = open(os.path.join(out, b"findings.csv"), "rb").read()
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8", errors="surrogateescape"), newline="")))
        got = [r["query"] for r in rows]
        want = [("'" + q) if q[0] in "=+-@" else q for q in names]
        if got != want:
            fail("hostile CSV: queries %r, not %r" % (got, want))
        for r in rows:
            for k, v in r.items():
                if v and v[0] in "=+-@":
                    fail("hostile CSV: cell %s starts a formula: %r" % (k, v))
        json.load(open(os.path.join(out, b"summary.json"), encoding="utf-8"))
        print("output-test: hostile names: %d JSON lines parse, %d CSV rows round-trip, formulas defused" %
              (len(objs), len(rows)))
    if fails:
        print("output-test: %d FAILED" % fails, file=sys.stderr)
        sys.exit(1)


main()
