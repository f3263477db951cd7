#!/usr/bin/env python3
"""matrix-screenshot.py - renders leakscope audit's matrix.html in headless Chromium and checks the screenshot.

    python3 tests/matrix-screenshot.py [LEAKSCOPE]

Runs `LEAKSCOPE audit` on rules/campaigns/samples.xml with one expectation
made wrong by hand (wg-killswitch-any: 2 kill-switch leaks instead of the
3 its truth.tsv has), into tests/out/matrix, checks the exit status (1) and
takes a screenshot of matrix.html with Chromium as tests/html-screenshot.py
does (same flags, fresh offline profile; its PNG reader and checks are
reused).  The PNG must have the window's size, not be blank, and show the
colours only a styled page has: the pass cells' background on many pixels,
the failed cell's background and its red border.

--update copies the screenshot to reports/screenshot-matrix.png (the
README's picture).

Exits 0 with "SKIP" when chromium is not installed, 1 when a check fails.
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
spec = importlib.util.spec_from_file_location("html_screenshot", os.path.join(TOP, "tests", "html-screenshot.py"))
hs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hs)

PASS_BG = (0xE7, 0xF4, 0xEC)   # .case.pass background (output-matrix.c matrix_css)
FAIL_BG = (0xFD, 0xEC, 0xEA)   # .case.fail background
FAIL_LINE = (0xB3, 0x26, 0x1E)  # .case.fail border, the banner's text


def fail(msg):
    print("matrix-screenshot: FAIL: " + msg)
    sys.exit(1)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    leakscope = os.path.abspath(args[0] if args else os.path.join(TOP, "leakscope"))
    chromium = hs.find_chromium()
    if not chromium:
        print("matrix-screenshot: SKIP: chromium is not installed (apt-get install chromium)")
        return 0
    out = os.path.join(TOP, "tests", "out", "matrix")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    with open(os.path.join(TOP, "rules", "campaigns", "samples.xml")) as f:
        text = f.read()
    # tests/out/matrix is three folders below the top, rules/campaigns two
    text = text.replace("../../samples/", "../../../samples/")
    wrong, n = re.subn(r'(<capture path="[^"]*/wg-killswitch/any\.pcap"/>\s*<tunnel [^>]*/>\s*'
                       r'<expect-leaks match="exactly">\s*<category name="kill-switch" count=")3(")',
                       r"\g<1>2\g<2>", text)
    if n != 1:
        fail("could not make the wg-killswitch-any expectation wrong in samples.xml")
    campaign = os.path.join(out, "wrong.xml")
    with open(campaign, "w") as f:
        f.write(wrong)
    # relative paths, as a user would type them: the page shows them
    r = subprocess.run([leakscope, "audit", "-q", "-j", "2", "-o", "tests/out/matrix/audit",
                        "tests/out/matrix/wrong.xml"], cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    if r.returncode != 1:
        fail("audit exited %d, expected 1 (one failed expectation): %s" % (r.returncode, r.stderr.strip()))
    page = os.path.join(out, "audit", "matrix.html")
    png = os.path.join(out, "screenshot-matrix.png")
    hs.screenshot(chromium, page, png)
    want = {
        "the pass cells": (PASS_BG, 20000),
        "the failed cell": (FAIL_BG, 2000),
        "the failed cell's border": (FAIL_LINE, 100),
    }
    ncol, nonwhite = hs.check_png(png, want)
    # the banner at the top has the fail colours too: the failed cell must
    # show below it, in the table
    w, h, bpp, rows = hs.read_png(png)
    below = sum(1 for y in range(250, h) for x in range(0, w * bpp, bpp)
                if tuple(rows[y][x:x + 3]) == FAIL_BG)
    if below < 1500:
        fail("%s: the failed cell's background on %d pixels below the banner, expected at least 1500" % (png, below))
    print("matrix-screenshot: ok %s: %dx%d, %d colours, %.0f%% non-white"
          % (os.path.relpath(page, TOP), hs.WIDTH, hs.HEIGHT, ncol, 100 * nonwhite))
    if "--update" in sys.argv:
        dst = os.path.join(TOP, "reports", "screenshot-matrix.png")
        shutil.copyfile(png, dst)
        print("matrix-screenshot: wrote %s" % os.path.relpath(dst, TOP))
    return 0


if __name__ == "__main__":
    sys.exit(main())
