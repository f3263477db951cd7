#!/usr/bin/env python3
"""print-pdf-test.py - prints report pages to PDF with headless Chromium and checks page counts and that no two words overlap.

    python3 tests/print-pdf-test.py [LEAKSCOPE]

For the index and every host page of samples/wg-killswitch (the sample whose
printed rows overlapped: "rtt 0.130 ms" over the port) and of a capture built
here - a pcapng whose interface has a long Windows adapter name and
description (\\Device\\NPF_{GUID}, "Intel(R) Wi-Fi 6E ..."), 40 questions each
answered with 16 A records and a long name - the page is printed with
`chromium --headless --print-to-pdf`, and poppler-utils read it back:
  - pdfinfo: the page count (every page at most 6 (index 8), the 40-row host
    its events table on exactly two: the pages holding its "frame N" rows);
  - pdftotext -bbox-layout: every word's box; on each page no two boxes may
    intersect by more than 0.5 pt both ways (text drawn over text).
The printed answer lists are checked to be cut ("+12 more").

Exits 0 with "SKIP" when chromium or poppler-utils are missing, 1 when a
check fails.  Standard library only.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EPS = 0.5  # points


def fail(msg):
    print("print-pdf-test: FAIL: " + msg)
    sys.exit(1)


# ---- a pcapng with a long Windows adapter name and 16-answer responses ----

def _opt(code, val):
    b = val.encode() if isinstance(val, str) else val
    return struct.pack("<HH", code, len(b)) + b + b"\0" * ((-len(b)) % 4)


def _block(t, body):
    body += b"\0" * ((-len(body)) % 4)
    n = 12 + len(body)
    return struct.pack("<II", t, n) + body + struct.pack("<I", n)


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def _udp(src, dst, sp, dp, pl):
    u = struct.pack("!HHHH", sp, dp, 8 + len(pl), 0) + pl
    ih = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0,
                     bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    return ih[:10] + struct.pack("!H", _csum(ih)) + ih[12:] + u


def _qname(n):
    return b"".join(bytes([len(x)]) + x.encode() for x in n.split(".")) + b"\0"


def windows_capture(path, rows=40, answers=16):
    cm, gw = b"\x02\x00\x00\x00\x01\x0a", b"\x02\x00\x00\x00\x00\x01"
    out = [_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
           _block(1, struct.pack("<HHI", 1, 0, 65535)
                  + _opt(2, r"\Device\NPF_{05CC61A0-7F3B-4E21-9C55-8D0E3A1B2C4F}")
                  + _opt(3, "Intel(R) Wi-Fi 6E AX211 160MHz Wireless Network Adapter #2 (Wi-Fi)")
                  + _opt(0, b""))]
    t0 = 1764234000 * 1000000
    for i in range(rows):
        name = "host%02d.very-long-subdomain-name-for-testing.cdn.example-content-delivery.net" % i
        q = struct.pack("!HHHHHH", i + 1, 0x0100, 1, 0, 0, 0) + _qname(name) + struct.pack("!HH", 1, 1)
        r = struct.pack("!HHHHHH", i + 1, 0x8180, 1, answers, 0, 0) + _qname(name) + struct.pack("!HH", 1, 1)
        for j in range(answers):
            r += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([198, 51, 100, j + 1])
        for frame, dt in ((gw + cm + b"\x08\x00" + _udp("192.168.1.10", "192.168.1.1", 40000 + i, 53, q), 0),
                          (cm + gw + b"\x08\x00" + _udp("192.168.1.1", "192.168.1.10", 53, 40000 + i, r), 1200)):
            ts = t0 + i * 500000 + dt
            out.append(_block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame)) + frame))
    with open(path, "wb") as f:
        f.write(b"".join(out))


TUNNEL = """<?xml version="1.0" encoding="UTF-8"?>
<tunnels xmlns="urn:leakscope:tunnel:1">
  <tunnel name="wg" kind="wireguard">
    <endpoint address="203.0.113.5" port="51820" transport="udp"/>
    <inside prefix="10.66.0.2/32"/>
    <resolver address="10.66.0.1" port="53"/>
  </tunnel>
</tunnels>
"""


# ---- printing and reading back ----

def print_pdf(chromium, page, pdf):
    profile = tempfile.mkdtemp(prefix="ls-chromium-")
    try:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--user-data-dir=" + profile, "--no-pdf-header-footer", "--print-to-pdf=" + pdf,
               "file://" + page]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if not os.path.exists(pdf):
        fail("chromium wrote no %s (exit %d):\n%s" % (pdf, r.returncode, r.stdout[-2000:]))


def pages_of(pdf):
    out = subprocess.run(["pdfinfo", pdf], stdout=subprocess.PIPE, text=True, check=True).stdout
    m = re.search(r"^Pages:\s+(\d+)", out, re.M)
    if not m:
        fail("pdfinfo %s: no page count" % pdf)
    return int(m.group(1))


def words_of(pdf):
    """[(page, [(x0, y0, x1, y1, text)])] from pdftotext -bbox-layout."""
    out = subprocess.run(["pdftotext", "-bbox-layout", pdf, "-"], stdout=subprocess.PIPE,
                         check=True).stdout
    root = ET.fromstring(out)
    pages = []
    for p in root.iter():
        if not p.tag.endswith("page"):
            continue
        ws = []
        for w in p.iter():
            if w.tag.endswith("word"):
                ws.append((float(w.get("xMin")), float(w.get("yMin")), float(w.get("xMax")),
                           float(w.get("yMax")), w.text or ""))
        pages.append(ws)
    return pages


def overlaps(ws):
    """Pairs of words whose boxes intersect by more than EPS both ways."""
    ws = sorted(ws)
    bad = []
    for i, a in enumerate(ws):
        for b in ws[i + 1:]:
            if b[0] >= a[2] - EPS:
                break  # sorted by x0: nothing further starts inside a
            if min(a[2], b[2]) - max(a[0], b[0]) > EPS and min(a[3], b[3]) - max(a[1], b[1]) > EPS:
                bad.append((a, b))
    return bad


def check_page(chromium, html, pdf, max_pages):
    print_pdf(chromium, html, pdf)
    n = pages_of(pdf)
    if n > max_pages:
        fail("%s: %d pages printed, at most %d expected" % (html, n, max_pages))
    pages = words_of(pdf)
    if len(pages) != n:
        fail("%s: pdftotext saw %d pages, pdfinfo %d" % (pdf, len(pages), n))
    nwords = 0
    for k, ws in enumerate(pages):
        nwords += len(ws)
        bad = overlaps(ws)
        if bad:
            a, b = bad[0]
            fail("%s page %d: %d overlapping word pairs, first %r at (%.1f,%.1f) and %r at (%.1f,%.1f)"
                 % (html, k + 1, len(bad), a[4], a[0], a[1], b[4], b[0], b[1]))
    if nwords == 0:
        fail("%s: no text in the PDF" % pdf)
    return n, pages


def main():
    ls = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "leakscope"))
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("print-pdf-test: SKIP: chromium is not installed (apt-get install chromium)")
        return 0
    if not shutil.which("pdfinfo") or not shutil.which("pdftotext"):
        print("print-pdf-test: SKIP: poppler-utils is not installed (apt-get install poppler-utils)")
        return 0
    work = tempfile.mkdtemp(prefix="ls-print-")
    try:
        cap = os.path.join(work, "win40.pcapng")
        windows_capture(cap)
        tun = os.path.join(work, "tunnel.xml")
        with open(tun, "w") as f:
            f.write(TUNNEL)
        runs = [("wg-killswitch", os.path.join(TOP, "samples/wg-killswitch/tunnel.xml"),
                 [os.path.join(TOP, "samples/wg-killswitch/any.pcap"),
                  os.path.join(TOP, "samples/wg-killswitch/phys.pcap")]),
                ("windows", tun, [cap])]
        for name, t, caps in runs:
            out = os.path.join(work, name)
            r = subprocess.run([ls, "analyze", "-q", "--tunnel", t, "-o", out] + caps,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode not in (0, 1, 3, 4):
                fail("analyze %s: exit %d: %s" % (name, r.returncode, r.stdout))
            hosts = sorted(f for f in os.listdir(os.path.join(out, "hosts")) if f.endswith(".html"))
            n, _ = check_page(chromium, os.path.join(out, "index.html"), os.path.join(out, "index.pdf"), 8)
            print("print-pdf-test: ok %s index.html: %d pages, no words overlap" % (name, n))
            for hp in hosts:
                pdf = os.path.join(out, hp[:-5] + ".pdf")
                n, pages = check_page(chromium, os.path.join(out, "hosts", hp), pdf, 6)
                msg = "print-pdf-test: ok %s hosts/%s: %d pages, no words overlap" % (name, hp, n)
                if name == "windows":
                    rows = [sum(1 for i, w in enumerate(ws) if w[4] == "frame" and i + 1 < len(ws)
                                and ws[i + 1][4].isdigit()) for ws in pages]
                    with_rows = [k + 1 for k, c in enumerate(rows) if c]
                    if sum(rows) < 40:
                        fail("%s: %d event rows printed, 40 expected (%s)" % (pdf, sum(rows), rows))
                    if len(with_rows) > 2:
                        fail("%s: the 40-row table takes %d pages (%s), two expected" % (pdf, len(with_rows), rows))
                    text = subprocess.run(["pdftotext", pdf, "-"], stdout=subprocess.PIPE, text=True).stdout
                    if "+12 more" not in text:
                        fail("%s: the 16-answer lists are not cut to a few with '+12 more'" % pdf)
                    msg += "; 40 rows on pages %s" % with_rows
                print(msg)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
