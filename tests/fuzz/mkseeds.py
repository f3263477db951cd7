#!/usr/bin/env python3
"""mkseeds.py - writes the seed corpora tests/fuzz/<target>/seeds/ (run from the top of the tree).

Usage: python3 tests/fuzz/mkseeds.py GENCAP_DIR

GENCAP_DIR is the output of build/gencap (make build/gencap, then
build/gencap DIR).  Seeds are small valid inputs: the hex vectors of the
unit tests (read from tests/test_*.c, so that a vector fixed there is
fixed here on the next run), the RFC 7541 Appendix C header blocks, the
rules examples and test files, gencap's captures and three small sample
captures.  The input formats of the tcp and doh targets are described at
the top of tests/fuzz/fuzz_tcp.c and fuzz_doh.c.  Every seeds folder is
emptied and rewritten; regressions/ folders are never touched.
"""
import os
import re
import shutil
import struct
import sys

TOP = os.getcwd()


def out_dir(target):
    d = os.path.join(TOP, "tests", "fuzz", target, "seeds")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def unhex(s):
    return bytes.fromhex("".join(ch for ch in s if ch in "0123456789abcdefABCDEF"))


def c_hex_constants(path):
    """static const char NAME[] = "hex" "hex" ...; from a test file, comments dropped."""
    text = open(os.path.join(TOP, path)).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    found = {}
    for m in re.finditer(r"static const char (\w+)\[\]\s*=\s*((?:\s*\"[^\"]*\")+)\s*;", text):
        body = "".join(re.findall(r"\"([^\"]*)\"", m.group(2)))
        if body and re.fullmatch(r"[0-9a-fA-F ]+", body):
            found[m.group(1)] = unhex(body)
    return found


def slug(name):
    return re.sub(r"-hex$", "", name.lower().replace("_", "-"))


# ---------------------------------------------------------------------------
def dns():
    d = out_dir("dns")
    for name, v in c_hex_constants("tests/test_dns.c").items():
        write(d, slug(name), v)
    for name, v in c_hex_constants("tests/test_dns_tcp.c").items():
        write(d, "tcp-" + slug(name), v[2:])  # without the length prefix
    for name, v in c_hex_constants("tests/test_doh.c").items():
        write(d, "doh-" + slug(name), v)


# ---------------------------------------------------------------------------
def tls():
    d = out_dir("tls")
    hellos = c_hex_constants("tests/test_tls.c")
    for name, v in hellos.items():
        write(d, slug(name), v)
        write(d, slug(name) + "-handshake", v[5:])  # as QUIC CRYPTO frames carry it
    # tls13_dot split over two records (RFC 8446 5.1 allows it)
    v = hellos["tls13_dot"]
    hs = v[5:]
    a, b = hs[:40], hs[40:]
    write(d, "tls13-dot-two-records",
          b"\x16\x03\x01" + struct.pack(">H", len(a)) + a + b"\x16\x03\x01" + struct.pack(">H", len(b)) + b)
    # a record stream for the counter: change_cipher_spec, 2 application_data, alert
    write(d, "records", b"\x14\x03\x03\x00\x01\x01" + b"\x17\x03\x03\x00\x05abcde" +
          b"\x17\x03\x03\x00\x03xyz" + b"\x15\x03\x03\x00\x02\x01\x00")


# ---------------------------------------------------------------------------
RFC8484_Q = unhex("00000100000100000000000003777777076578616d706c6503636f6d0000010001")
RFC8484_A = unhex("00008180000100010000000003777777076578616d706c6503636f6d00001c0001"
                  "c00c001c000100000e7d001020010db8abcd00120001000200030004")


def h2_frame(ftype, flags, sid, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload


def h2_streams():
    """The synthetic exchange of tests/test_doh.c (synth_client, synth_server)."""
    c = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, b"")
    blk = unhex("83 86 44 0a") + b"/dns-query" + unhex("41 8c f1e3 c2e5 f23a 6ba0 ab90 f4ff 5f 17") + \
        b"application/dns-message"
    c += h2_frame(1, 0x04 | 0x08, 1, bytes([3]) + blk + b"\0\0\0")
    c += h2_frame(0, 0, 1, RFC8484_Q[:16])
    c += h2_frame(0, 0x01 | 0x08, 1, bytes([2]) + RFC8484_Q[16:] + b"\0\0")
    c += h2_frame(1, 0x04, 3, unhex("83 86 c0 bf be"))
    path = b"/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB"
    blk = unhex("82 86 04") + bytes([len(path)]) + path + b"\xbf"
    c += h2_frame(1, 0x01, 5, blk[:10]) + h2_frame(9, 0x04, 5, blk[10:])
    c += h2_frame(0, 0x01, 3, RFC8484_Q)
    s = h2_frame(4, 0, 0, b"")
    s += h2_frame(1, 0x04, 1, unhex("88 5f 17") + b"application/dns-message")
    s += h2_frame(0, 0x01, 1, RFC8484_A)
    s += h2_frame(1, 0x04, 3, unhex("88 be"))
    s += h2_frame(0, 0x01, 3, RFC8484_A)
    return c, s


def h2_script(slices):
    out = b"\x01"  # mode 1
    for direction, data in slices:
        out += struct.pack(">H", (direction << 15) | len(data)) + data
    return out


def doh():
    d = out_dir("doh")
    b64 = b"AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB"
    http = {
        "get-wire": b"GET /dns-query?dns=" + b64 + b" HTTP/1.1\r\nHost: dns.example\r\n"
                    b"Accept: application/dns-message\r\n\r\n",
        "post-wire": b"POST /dns-query HTTP/1.1\r\nHost: dns.example\r\nContent-Type: application/dns-message\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(RFC8484_Q) + RFC8484_Q,
        "post-chunked": b"POST /dns-query HTTP/1.1\r\nContent-Type: application/dns-message\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n10\r\n" + RFC8484_Q[:16] + b"\r\n%x\r\n" %
                        (len(RFC8484_Q) - 16) + RFC8484_Q[16:] + b"\r\n0\r\n\r\n",
        "get-json": b"GET /resolve?name=example.com&type=AAAA HTTP/1.1\r\nHost: dns.google\r\n"
                    b"Accept: application/dns-json\r\n\r\n",
        "resp-wire": b"HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\nContent-Length: %d\r\n\r\n" %
                     len(RFC8484_A) + RFC8484_A,
        "resp-no-length": b"HTTP/1.0 200 OK\r\nContent-Type: application/dns-message\r\n\r\n" + RFC8484_A,
        "resp-json-chunked": b"HTTP/1.1 200 OK\r\nContent-Type: application/dns-json\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n7\r\n{\"A\":1}\r\n0\r\n\r\n",
        "resp-204": b"HTTP/1.1 204 No Content\nServer: x\n\n",
    }
    for name, v in http.items():
        write(d, "http1-" + name, b"\x00" + v)
    c, s = h2_streams()
    write(d, "h2-whole", h2_script([(0, c), (1, s)]))
    sliced, i, j, step = [], 0, 0, 1
    while i < len(c) or j < len(s):
        if i < len(c):
            sliced.append((0, c[i:i + step]))
            i += step
        if j < len(s):
            sliced.append((1, s[j:j + step]))
            j += step
        step = step * 3 % 61 + 1
    write(d, "h2-sliced", h2_script(sliced))
    write(d, "b64-query", b"\x02" + b64)
    write(d, "b64-padded", b"\x02" + b"AAECAw==")
    write(d, "huffman-www", b"\x02" + unhex("f1e3 c2e5 f23a 6ba0 ab90 f4ff"))
    c3 = ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "8286 84be 5808 6e6f 2d63 6163 6865",
          "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65", "be bf c0"]
    c4 = ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf",
          "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"]
    c5 = ["4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32"
          "3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
          "4803 3330 37c1 c0bf",
          "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970"
          "7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61"
          "6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31"]
    c6 = ["4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad"
          "1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
          "4883 640e ffc1 c0bf",
          "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2"
          "e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"]
    for name, blocks, small in (("c3", c3, 0), ("c4", c4, 0), ("c5", c5, 1), ("c6", c6, 1)):
        v = b"\x03" + bytes([small])
        for blk in blocks:
            b = unhex(blk)
            v += struct.pack(">H", len(b)) + b
        write(d, "hpack-rfc7541-" + name, v)


# ---------------------------------------------------------------------------
SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


def seg(direction, flags, seq, ack, payload=b"", snapped=False):
    return bytes([direction << 7 | (0x40 if snapped else 0) | flags]) + struct.pack(">II", seq, ack) + \
        bytes([len(payload)]) + payload


def tcp():
    d = out_dir("tcp")
    m = c_hex_constants("tests/test_dns_tcp.c")
    q, r, q2 = m["M1_HEX"], m["M3_HEX"], m["M2_HEX"]
    hs = seg(0, SYN, 0, 0) + seg(1, SYN | ACK, 0, 1) + seg(0, ACK, 1, 1)
    # in order: query, answer in two segments, a second query, FINs
    inorder = hs + seg(0, PSH | ACK, 1, 1, q) + seg(1, ACK, 1, 1 + len(q), r[:20]) + \
        seg(1, PSH | ACK, 21, 1 + len(q), r[20:]) + seg(0, PSH | ACK, 1 + len(q), 1 + len(r), q2) + \
        seg(0, FIN | ACK, 1 + len(q) + len(q2), 1 + len(r)) + seg(1, FIN | ACK, 1 + len(r), 2 + len(q) + len(q2))
    for caps in (0, 1):
        write(d, "in-order-caps%d" % caps, bytes([caps]) + inorder)
    # out of order with a retransmission and an overlap that differs
    ooo = hs + seg(0, PSH | ACK, 11, 1, q[10:]) + seg(0, PSH | ACK, 1, 1, q[:12]) + \
        seg(0, PSH | ACK, 1, 1, q) + seg(1, PSH | ACK, 1, 1 + len(q), r[:10] + b"XX" + r[12:20]) + \
        seg(1, PSH | ACK, 11, 1 + len(q), r[10:]) + seg(1, RST, 1 + len(r), 0)
    write(d, "out-of-order", b"\x00" + ooo)
    # a hole the peer acknowledges (lost in the capture), then resync
    gap = hs + seg(0, PSH | ACK, 1 + 5, 1, q[5:]) + seg(1, ACK, 1, 1 + len(q)) + \
        seg(0, PSH | ACK, 1 + len(q), 1, q2) + seg(0, PSH | ACK, 1 + len(q) + len(q2), 1, q, snapped=True)
    write(d, "gap-acked", b"\x00" + gap)
    # mid-connection start, no handshake
    write(d, "mid-stream", b"\x01" + seg(0, ACK, 1000, 5, q) + seg(1, ACK, 5, 1000 + len(q), r))


# ---------------------------------------------------------------------------
def dhcp():
    d = out_dir("dhcp")
    ack = bytearray(240)
    ack[0:3] = b"\x02\x01\x06"
    ack[16:20] = bytes([192, 168, 1, 10])
    ack[28] = 2
    ack[33] = 0x0a
    ack[236:240] = b"\x63\x82\x53\x63"
    opts = bytes([53, 1, 5, 6, 8, 192, 168, 1, 1, 9, 9, 9, 9,
                  121, 14, 0x00, 0xc0, 0xa8, 0x01, 0x01, 0x19, 0x0a, 0x01, 0x02, 0x00, 0xc0, 0xa8, 0x01, 0xfe,
                  12, 6]) + b"laptop" + b"\xff"
    write(d, "v4-ack-routes", bytes(ack) + opts)
    req = bytearray(ack)
    req[0] = 1
    fqdn = b"\x05\x00\x00" + b"\x02pc\x07example\x00"
    opts = bytes([53, 1, 3, 0, 0, 81, len(fqdn)]) + fqdn + bytes([249, 5, 8, 10, 192, 168, 1, 1, 255])
    write(d, "v4-request-fqdn-249", bytes(req) + opts)
    write(d, "v6-solicit", bytes([1, 0x12, 0x34, 0x56, 0, 39, 0, 13, 0, 2]) + b"pc\x07example\x00" +
          bytes([0, 23, 0, 16, 0x20, 0x01, 0x0d, 0xb8] + [0] * 7 + [0x53]))


# ---------------------------------------------------------------------------
def copy_files(target, pairs):
    d = out_dir(target)
    for src, name in pairs:
        shutil.copyfile(os.path.join(TOP, src) if not os.path.isabs(src) else src, os.path.join(d, name))


def rules():
    pairs = [("rules/examples/" + f, "example-" + f) for f in sorted(os.listdir("rules/examples"))]
    pairs += [("tests/data/rules/" + f, f) for f in sorted(os.listdir("tests/data/rules"))]
    copy_files("rules", pairs)


def captures(gencap):
    names = sorted(f for f in os.listdir(gencap) if f.endswith(".pcap") or f.endswith(".pcapng"))
    copy_files("capture", [(os.path.join(gencap, f), f) for f in names])
    pick = ["en10mb.pcap", "multi-iface.pcapng", "tunnels.pcap", "en10mb-frag.pcap", "linux-sll2.pcap",
            "damaged-truncated-last.pcap", "damaged-bad-blocklen.pcapng"]
    pairs = [(os.path.join(gencap, f), f) for f in pick]
    for s in ("wg-clean/phys.pcap", "dns-tcp-multi/phys.pcap", "wg-killswitch/phys.pcap"):
        pairs.append(("samples/" + s, "sample-" + s.replace("/", "-")))
    copy_files("pipeline", pairs)


def main():
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: python3 tests/fuzz/mkseeds.py GENCAP_DIR (run from the top of the tree)")
    dns()
    tls()
    doh()
    tcp()
    dhcp()
    rules()
    captures(sys.argv[1])


if __name__ == "__main__":
    main()
