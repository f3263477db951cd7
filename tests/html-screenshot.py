#!/usr/bin/env python3
"""html-screenshot.py - renders the HTML report of a leaking sample in headless Chromium and checks the screenshots.

    python3 tests/html-screenshot.py [LEAKSCOPE] [--sample NAME] [--update]

Runs `LEAKSCOPE analyze` (default ./leakscope) on samples/NAME (default
wg-split: split-tunnel leaks, allowed and ok questions) into
tests/out/html/NAME, then takes a screenshot of the first leaking host's page
and of index.html with Debian's chromium, headless, offline, in a fresh
profile.  Each PNG must exist, have the window's size (read from its IHDR
chunk) and not be blank (decoded here with zlib: enough distinct colours and
non-white pixels), and must show what only a styled page shows: the leak
banner's background and the category colour of the markers, so a page whose
stylesheet or SVG did not render fails.

--update copies the screenshots to reports/screenshot-host.png and
reports/screenshot-index.png (the README's pictures, made with
`--sample wg-killswitch --update`: its timeline shows every band state).

Chromium runs with the flags of the project brief plus --hide-scrollbars
(so the screenshot is the page alone).  When `analyze` writes no HTML (an
older binary), the pages are rendered by tests/data/html/render.c linked
with the objects in $BUILD (default build/).

Exits 0 with "SKIP" when chromium is not installed, 1 when a check fails.
Standard library only.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIDTH, HEIGHT = 1280, 2000
NS = "{urn:leakscope:report:1}"

# Colours from reports/report.css that only a rendered, styled page has.
BANNER_LEAK_BG = (0xFD, 0xEC, 0xEA)   # .banner.leak background
BAND_UP = (0x2E, 0x8B, 0x57)          # .band-up: the tunnel row
CATEGORY_COLOUR = {                   # .c-<category> marker fills
    "split-tunnel": (0xD5, 0x5E, 0x00),
    "kill-switch": (0xB3, 0x26, 0x1E),
    "bootstrap": (0xE6, 0x9F, 0x00),
    "encrypted-outside": (0x7B, 0x32, 0x94),
    "tunnel-resolver-outside": (0x00, 0x72, 0xB2),
    "ipv6-outside": (0xCC, 0x79, 0xA7),
    "parallel-multihomed": (0x8C, 0x51, 0x0A),
    "local-link": (0x56, 0xB4, 0xE9),
}


def fail(msg):
    print("html-screenshot: FAIL: " + msg)
    sys.exit(1)


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return None


def render(leakscope, sample, out):
    """Writes the reports of samples/<sample> into out; returns the path of index.html."""
    # paths relative to the top folder, as a user would type them: the
    # pages show them (and the README's screenshot with them)
    sdir = os.path.join("samples", sample)
    caps = [os.path.join(sdir, c) for c in ("any.pcap", "phys.pcap") if os.path.exists(os.path.join(TOP, sdir, c))]
    tunnel = os.path.join(sdir, "tunnel.xml")
    if not caps or not os.path.exists(os.path.join(TOP, tunnel)):
        fail("samples/%s: no captures or tunnel.xml" % sample)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    r = subprocess.run([leakscope, "analyze", "--quiet", "--tunnel", tunnel, "-o", out] + caps,
                       cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    if r.returncode not in (0, 1):
        fail("%s analyze exited %d: %s" % (leakscope, r.returncode, r.stderr.strip()))
    index = os.path.join(out, "index.html")
    if not os.path.exists(index):
        # `analyze` does not write HTML yet: the library through a small driver
        print("html-screenshot: %s wrote no index.html; rendering with tests/data/html/render.c" % leakscope)
        render_with_driver(tunnel, caps, out)
    if not os.path.exists(index):
        fail("no %s" % index)
    return index


def render_with_driver(tunnel, caps, out):
    build = os.environ.get("BUILD", os.path.join(TOP, "build"))
    objs = sorted(os.path.join(build, f) for f in os.listdir(build)
                  if f.endswith(".o") and f != "main.o")
    exe = os.path.join(os.path.dirname(out), "render")
    libs = subprocess.run(["pkg-config", "--libs", "libndpi", "libpcap", "libxml-2.0"],
                          stdout=subprocess.PIPE, text=True, check=True).stdout.split()
    san = os.environ.get("SAN", "").split()
    cmd = [os.environ.get("CC", "cc"), "-std=c11", "-D_GNU_SOURCE", "-g"] + san + [
        "-I" + os.path.join(TOP, "analyzer"), os.path.join(TOP, "tests/data/html/render.c")] + objs + [
        "-o", exe] + libs + ["-lm", "-lpthread"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        fail("cannot build the render driver:\n" + r.stdout)
    r = subprocess.run([exe, out, tunnel] + caps, cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0:
        fail("render driver: " + r.stdout)


def leaking_host(out):
    """The id of the first host (in id order) whose verdict is leak, from summary.xml."""
    root = ET.parse(os.path.join(out, "summary.xml")).getroot()
    for h in root.iter(NS + "host"):
        if h.get("verdict") == "leak":
            cats = [c.get("category") for c in h.findall(NS + "count")]
            return h.get("id"), cats
    fail("no leaking host in %s/summary.xml: the sample should leak" % out)


def screenshot(chromium, page, png):
    if os.path.exists(png):
        os.unlink(png)
    profile = tempfile.mkdtemp(prefix="ls-chromium-")
    try:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--hide-scrollbars", "--user-data-dir=" + profile,
               "--window-size=%d,%d" % (WIDTH, HEIGHT), "--screenshot=" + png, "file://" + page]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if not os.path.exists(png):
        fail("chromium wrote no %s (exit %d):\n%s" % (png, r.returncode, r.stdout[-2000:]))


def read_png(path):
    """Returns (width, height, rows) with rows a list of RGB(A) byte rows (8-bit, non-interlaced)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s: not a PNG" % path)
    pos, idat, ihdr = 8, [], None
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + n
    if not ihdr:
        fail("%s: no IHDR" % path)
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        fail("%s: unexpected PNG format (depth %d, colour type %d, interlace %d)" % (path, depth, ctype, interlace))
    bpp = 4 if ctype == 6 else 3
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        cur = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ft == 1:
            for i in range(bpp, stride):
                cur[i] = (cur[i] + cur[i - bpp]) & 0xFF
        elif ft == 2:
            for i in range(stride):
                cur[i] = (cur[i] + prev[i]) & 0xFF
        elif ft == 3:
            for i in range(stride):
                left = cur[i - bpp] if i >= bpp else 0
                cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ft == 4:
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[i] = (cur[i] + pr) & 0xFF
        elif ft != 0:
            fail("%s: bad filter type %d in row %d" % (path, ft, y))
        rows.append(cur)
        prev = cur
    return w, h, bpp, rows


def check_png(path, want):
    """Size, not blank, and the colours in want (name -> (rgb, min pixels)) present."""
    w, h, bpp, rows = read_png(path)
    if (w, h) != (WIDTH, HEIGHT):
        fail("%s is %dx%d, expected %dx%d" % (path, w, h, WIDTH, HEIGHT))
    counts = {}
    for row in rows:
        for x in range(0, w * bpp, bpp):
            px = bytes(row[x:x + 3])
            counts[px] = counts.get(px, 0) + 1
    total = w * h
    white = counts.get(b"\xff\xff\xff", 0)
    nonwhite = 1 - white / total
    if len(counts) < 32:
        fail("%s looks blank: %d distinct colours" % (path, len(counts)))
    if nonwhite < 0.05:
        fail("%s looks blank: %.1f%% non-white pixels" % (path, 100 * nonwhite))
    for name, (rgb, least) in want.items():
        n = counts.get(bytes(rgb), 0)
        if n < least:
            fail("%s: %s (#%02x%02x%02x) on %d pixels, expected at least %d: the page did not render styled"
                 % (path, name, rgb[0], rgb[1], rgb[2], n, least))
    return len(counts), nonwhite


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    update = "--update" in sys.argv
    sample = "wg-split"
    if "--sample" in sys.argv:
        i = sys.argv.index("--sample")
        if i + 1 >= len(sys.argv):
            fail("--sample needs a name")
        sample = sys.argv[i + 1]
        args = [a for a in args if a != sample]
    leakscope = os.path.abspath(args[0] if args else os.environ.get("LEAKSCOPE", os.path.join(TOP, "leakscope")))
    chromium = find_chromium()
    if not chromium:
        print("html-screenshot: SKIP: chromium is not installed (apt-get install chromium)")
        return 0
    if not os.access(leakscope, os.X_OK):
        fail("%s is not executable (run make first)" % leakscope)

    out = os.path.join(TOP, "tests", "out", "html", sample)
    index = render(leakscope, sample, out)
    host, cats = leaking_host(out)
    leak_cats = [c for c in cats if c in CATEGORY_COLOUR]
    if not leak_cats:
        fail("host %s has no leak category with a known colour: %s" % (host, cats))
    marker = CATEGORY_COLOUR[leak_cats[0]]

    shots = []
    for kind, page in (("host", os.path.join(out, "hosts", host + ".html")), ("index", index)):
        png = os.path.join(out, "screenshot-%s.png" % kind)
        screenshot(chromium, page, png)
        want = {
            "the leak banner": (BANNER_LEAK_BG, 2000),
            "the tunnel-up band": (BAND_UP, 500),
            "the %s markers" % leak_cats[0]: (marker, 40),
        }
        ncol, nonwhite = check_png(png, want)
        print("html-screenshot: ok %s %s: %dx%d, %d colours, %.0f%% non-white"
              % (sample, os.path.relpath(page, out), WIDTH, HEIGHT, ncol, 100 * nonwhite))
        shots.append((kind, png))
    if update:
        for kind, png in shots:
            dst = os.path.join(TOP, "reports", "screenshot-%s.png" % kind)
            shutil.copyfile(png, dst)
            print("html-screenshot: wrote %s" % os.path.relpath(dst, TOP))
    return 0


if __name__ == "__main__":
    sys.exit(main())
