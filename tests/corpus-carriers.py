#!/usr/bin/env python3
"""corpus-carriers.py - suggest-tunnel over every public corpus capture and every lab sample, checked with tshark.

Two rules (issue 17):
  1. No suggested carrier endpoint is a flow that tshark decodes as name
     resolution (DNS, mDNS, LLMNR, NBNS; frames tshark calls malformed are
     not counted: WireGuard on udp/53 is "DNS" to tshark, malformed).
  2. Every VPN capture listed in EXPECTED gets its carrier, and tshark (or,
     for Tor, which tshark has no dissector for, nDPI's own regression
     output shipped beside the capture) agrees that the server end speaks
     that protocol.
Captures of VPN software that leakscope does not recognise are listed in
NOT_RECOGNISED with the reason, and must not get a carrier on a DNS flow
either.  Finds ../shared relative to the checkout (or $LS_SHARED); without it
the corpus part is skipped and says so.

usage: corpus-carriers.py LEAKSCOPE
"""
import concurrent.futures
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("LS_SHARED") or os.path.join(os.path.dirname(TOP), "shared")
CORPUS = os.path.join(SHARED, "corpus")

# file -> [(kind, server, port, transport, tshark filter that shows the protocol, decode-as or None)]
# Each server end was read off with tshark 4.0 (the filter given) when the
# row was written; the test asks tshark again.
WG, OV, IKE, ESP = "wg", "openvpn", "isakmp", "esp"
EXPECTED = {
    "ndpi/default/pcap/wireguard.pcap": [("wireguard", "139.162.192.157", 51820, "udp", WG, None)],
    "ndpi/default/pcap/mullvad_wireguard.pcap": [("wireguard", "198.54.131.98", 5060, "udp", WG, "udp.port==5060,wg")],
    "ndpi/default/pcap/protonvpn.pcap": [("wireguard", "217.23.3.76", 443, "udp", WG, "udp.port==443,wg")],
    "ndpi/default/pcap/tailscale.pcap": [("wireguard", "18.196.71.179", 41641, "udp", WG, "udp.port==41641,wg")],
    "ndpi/default/pcap/cloudflare-warp.pcap": [("wireguard", "162.159.192.7", 2408, "udp", "ndpi:CloudflareWarp", None)],
    "ndpi/default/pcap/openvpn.pcap": [("openvpn", "139.59.151.137", 13680, "udp", OV, "udp.port==13680,openvpn")],
    "ndpi/default/pcap/openvpn_nohmac.pcapng": [("openvpn", "85.134.13.165", 1194, "udp", OV, None)],
    "ndpi/default/pcap/openvpn_nohmac_tcp.pcapng": [("openvpn", "10.251.71.30", 1194, "tcp", OV, None)],
    "ndpi/default/pcap/openvpn-tlscrypt.pcap": [("openvpn", "::1", 1194, "udp", OV, None)],
    "ndpi/default/pcap/ipsec_isakmp_esp.pcap": [("ipsec", "109.237.187.227", 500, "udp", IKE, None)],
    "ndpi/default/pcap/esp.pcapng": [("ipsec", "10.3.4.4", 500, "udp", IKE, None)],
    "ndpi/default/pcap/anyconnect-vpn.pcap": [("openconnect", "8.37.102.91", 443, "udp", "dtls", None)],
    "ndpi/default/pcap/tor.pcap": [("tor", "91.143.93.242", 443, "tcp", "ndpi:Tor", None)],
    "ndpi/default/pcap/ssh.pcap": [("ssh?", "172.16.238.168", 22, "tcp", "ssh", None)],
    "zeek-spicy-wireguard/Traces/wireguard.pcap": [("wireguard", "188.166.170.115", 51194, "udp", WG, "udp.port==51194,wg")],
    "zeek-spicy-wireguard/Traces/tailscale_linux.pcap": [("wireguard", "18.196.71.179", 41641, "udp", WG, "udp.port==41641,wg")],
    "zeek-spicy-openvpn/traces/openvpn.pcap": [("openvpn", "46.246.122.61", 1198, "udp", OV, "udp.port==1198,openvpn")],
    "zeek-spicy-openvpn/traces/openvpn_udp_tls-auth.pcap": [("openvpn", "192.168.56.102", 1194, "udp", OV, None)],
    "zeek-spicy-openvpn/traces/openvpn_udp_hmac_256.pcap": [("openvpn", "68.235.38.75", 1194, "udp", OV, None)],
    "zeek-spicy-openvpn/traces/openvpn_tcp_nontlsauth.pcap": [("openvpn", "192.168.56.102", 1194, "tcp", OV, None)],
    "zeek-spicy-openvpn/traces/openvpn-tcp-tls-auth.pcap": [("openvpn", "192.168.56.102", 1194, "tcp", OV, None)],
    "zeek-spicy-ipsec/traces/ipsec_client.pcap": [("ipsec", "144.76.154.114", 500, "udp", IKE, None)],
    "zeek-spicy-ipsec/traces/ipsec.cap": [("ipsec", "192.168.140.200", 500, "udp", IKE, None),
                                          ("ipsec", "192.168.140.200", 0, "esp", ESP, None)],
    "zeek-spicy-ipsec/traces/ipsec-ikev1-isakmp-main-mode.pcap": [("ipsec", "192.168.12.2", 500, "udp", IKE, None)],
    "wireguard-dissector/pcaps/8-trace.pcap": [("wireguard", "10.0.4.1", 51820, "udp", WG, None)],
    "arkime/IKEv2.pcap": [("ipsec", "2003:51:6012::2", 500, "udp", IKE, None)],
    "pcapplusplus/Packet++Test/PacketExamples/WireGuard.pcap": [("wireguard", "10.9.0.2", 51820, "udp", WG, None)],
}

# VPN software in the corpus whose carrier leakscope does not claim, and why.
NOT_RECOGNISED = {
    "ndpi/default/pcap/forticlient.pcap": "FortiClient SSL VPN is TLS on 10443: nothing outside the TLS layer tells it from HTTPS (nDPI 4.11 knows it by certificate; 4.2 does not)",
    "ndpi/default/pcap/softether.pcap": "SoftEther's UDP acceleration is encrypted from the first byte; no exchange to check",
    "ndpi/default/pcap/psiphon3.pcap": "Psiphon over TLS to a CDN: HTTPS to the wire",
    "ndpi/default/pcap/opera-vpn.pcapng": "Opera VPN is an HTTPS proxy: HTTPS to the wire",
    "ndpi/default/pcap/ultrasurf.pcap": "UltraSurf is TLS to its servers: HTTPS to the wire",
    "ndpi/default/pcap/shadowsocks.pcap": "Shadowsocks is designed to look like random bytes (and this capture is on loopback)",
    "ndpi/default/pcap/openvpn_obfuscated.pcapng": "OpenVPN behind an obfuscation layer (XOR/TLS-like): by design no OpenVPN header shows",
}

failures = []


def fail(msg):
    failures.append(msg)
    print("corpus-carriers: FAIL " + msg)


def suggest(ls, path):
    r = subprocess.run([ls, "suggest-tunnel", path], capture_output=True, text=True, timeout=120)
    if r.returncode == 2:
        print("corpus-carriers: unreadable, skipped: %s: %s" % (path, r.stderr.strip().splitlines()[0][:160]))
        return [], []
    if r.returncode not in (0, 1):
        fail("%s: suggest-tunnel exit %d: %s" % (path, r.returncode, r.stderr.strip()[:200]))
        return [], []
    applied, candidates = [], []
    kind = None
    for line in r.stdout.splitlines():
        m = re.search(r'<tunnel name="[^"]*" kind="([a-z]+)"', line)
        if m:
            kind = m.group(1)
        m = re.search(r'<endpoint address="([^"]+)"(?: port="(\d+)")? transport="([a-z]+)"/>', line)
        if m and "possible tunnel" not in line and "kind=\"ssh\"><endpoint" not in line:
            applied.append((kind, m.group(1), int(m.group(2) or 0), m.group(3)))
        m = re.search(r'possible tunnel, not applied: (\w+) server (\S+) port (\d+)', line)
        if m:
            candidates.append((m.group(1) + "?", m.group(2), int(m.group(3)), "tcp"))
    return applied, candidates


def tshark(path, yfilter, decode=None):
    cmd = ["tshark", "-n", "-r", path, "-Y", yfilter, "-T", "fields", "-e", "frame.number"]
    if decode:
        cmd[1:1] = ["-d", decode]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    return [l for l in r.stdout.splitlines() if l.strip()]


def addr_filter(addr):
    return ("ipv6.addr==%s" if ":" in addr else "ip.addr==%s") % addr


def end_filter(addr, port, transport):
    f = addr_filter(addr)
    if transport in ("udp", "tcp") and port:
        f += " && %s.port==%d" % (transport, port)
    elif transport == "esp":
        f += " && esp"
    return f


def check_not_dns(path, label, eps):
    for kind, addr, port, tr in eps:
        if tr not in ("udp", "tcp"):
            continue
        hits = tshark(path, "(dns || mdns || llmnr || nbns) && !_ws.malformed && " + end_filter(addr, port, tr))
        if hits:
            fail("%s: %s carrier %s:%d/%s is a flow tshark decodes as name resolution (frames %s)" %
                 (label, kind, addr, port, tr, ",".join(hits[:5])))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    ls = sys.argv[1]
    files = []
    if os.path.isdir(CORPUS):
        with open(os.path.join(CORPUS, "MANIFEST.tsv")) as f:
            next(f)
            files = [(os.path.join(CORPUS, l.split("\t")[0]), l.split("\t")[0]) for l in f if l.strip()]
    else:
        print("corpus-carriers: SKIP the public corpus: %s not found (set LS_SHARED)" % CORPUS)
    for d in sorted(os.listdir(os.path.join(TOP, "samples"))):
        for stem in ("phys.pcap", "any.pcap"):
            p = os.path.join(TOP, "samples", d, stem)
            if os.path.exists(p):
                files.append((p, "samples/%s/%s" % (d, stem)))
    found = checked = 0

    def one(item):
        path, label = item
        applied, candidates = suggest(ls, path)
        check_not_dns(path, label, applied + candidates)
        return applied, candidates

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        results = list(ex.map(one, files))
    for (path, label), (applied, candidates) in zip(files, results):
        checked += 1
        want = EXPECTED.get(label)
        if label in NOT_RECOGNISED and applied:
            print("corpus-carriers: note %s now gets %s (listed as not recognised: %s)" %
                  (label, applied, NOT_RECOGNISED[label]))
        if not want:
            continue
        for kind, addr, port, tr, proto, decode in want:
            pool = candidates if kind.endswith("?") else applied
            if not any(k == kind and a == addr and p == port and t == tr for k, a, p, t in pool):
                fail("%s: expected %s carrier %s:%d/%s, got %s" % (label, kind, addr, port, tr, pool))
                continue
            if proto.startswith("ndpi:"):
                oracle = os.path.join(CORPUS, label.replace("/pcap/", "/result/") + ".out")
                ok = os.path.exists(oracle) and any(proto[5:] in l and addr in l for l in open(oracle, errors="replace"))
                why = "nDPI's regression output"
            else:
                ok = bool(tshark(path, proto + " && " + end_filter(addr, port, tr), decode))
                why = "tshark -Y '%s'" % proto
            if not ok:
                fail("%s: %s does not show %s at %s:%d/%s" % (label, why, kind, addr, port, tr))
                continue
            found += 1
            print("corpus-carriers: ok %s: %s %s:%d/%s (%s agrees)" % (label, kind, addr, port, tr, why))
    for label, why in sorted(NOT_RECOGNISED.items()):
        print("corpus-carriers: not recognised %s: %s" % (label, why))
    want_n = sum(len(v) for v in EXPECTED.values()) if os.path.isdir(CORPUS) else 0
    print("corpus-carriers: %d captures checked, no carrier on a name-resolution flow%s; %d of %d expected carriers found" %
          (checked, "" if not failures else " FAILED", found, want_n))
    print("corpus-carriers: %s" % ("PASS" if not failures else "FAIL (%d)" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
