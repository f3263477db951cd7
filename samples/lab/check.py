#!/usr/bin/python3
"""check.py - cross-checks each scenario's truth.tsv against its captures with tshark.

usage: check.py SAMPLESDIR [scenario...]

truth.tsv is written by run.sh from what the scenario did; this script is the
independent second look: it dissects phys.pcap and any.pcap with tshark and
compares the questions seen on the wire with the ones the truth lists.

 - phys.pcap (physical interface): the cleartext questions (DNS over UDP/TCP,
   mDNS, LLMNR, NBNS) must be exactly the truth rows with path "outside"
   (as a multiset); TLS ClientHellos to port 443/853 must match the outside
   DoH/DoT rows (server, port, SNI), one connection per row.
 - any.pcap (-i any, SLL2): the set of cleartext questions must be the
   outside rows plus the tunnel rows (the tunnel interface shows the inner
   packets), except for a router capture (no <interface> in tunnel.xml),
   where tunnel rows are invisible; the same goes for ClientHellos.
 - SOCKS requests that hand the proxy a name (truth proto socks5) count as
   questions: they must be the truth rows with that proto.
 - ClientHellos to a TCP endpoint of tunnel.xml are the carrier (OpenConnect
   CSTP on 443), not DoH.
 - Nothing else may look like a name-resolution question.
Prints one line per scenario with the figures, and the offending packets.
Exit status 1 if any scenario fails.
"""
import collections
import csv
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

QTYPE = {1: "A", 2: "NS", 5: "CNAME", 12: "PTR", 16: "TXT", 28: "AAAA", 32: "NB",
         33: "SRV", 255: "ANY"}
PORT_PROTO_UDP = {53: "dns-udp", 5353: "mdns", 5355: "llmnr", 137: "nbns"}
NS = "{urn:leakscope:tunnel:1}"


def tshark(path, dfilter, fields, extra=()):
    cmd = ["tshark", "-n", "-r", path, *extra, "-Y", dfilter, "-T", "fields",
           "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def questions(path, extra=()):
    """Cleartext questions: list of (key, frame, time, ifindex)."""
    rows = tshark(path, "((dns || mdns || llmnr) && dns.flags.response == 0) || (nbns && nbns.flags.response == 0)",
                  ["frame.number", "frame.time_relative", "sll.ifindex", "ip.src", "ipv6.src",
                   "ip.dst", "ipv6.dst", "udp.dstport", "tcp.dstport", "dns.qry.name",
                   "dns.qry.type", "nbns.name", "nbns.type", "_ws.malformed"], extra)
    out = []
    for (num, t, ifx, s4, s6, d4, d6, up, tp, names, types, nbname, nbtype, bad) in rows:
        src, dst = s4 or s6, d4 or d6
        if bad:
            out.append((("MALFORMED", src, dst, up or tp, "-", "-"), num, t, ifx))
            continue
        if up:
            port = int(up)
            proto = PORT_PROTO_UDP.get(port, "udp-%d" % port)
        else:
            port = int(tp)
            proto = "dns-tcp"
        if proto == "nbns":
            for n, ty in zip(nbname.split(","), nbtype.split(",")):
                out.append(((proto, src, dst, str(port), n, QTYPE.get(int(ty), ty)), num, t, ifx))
            continue
        # one frame may carry several DNS messages (TCP) each with a question
        for n, ty in zip(names.split(","), types.split(",")):
            out.append(((proto, src, dst, str(port), n, QTYPE.get(int(ty), ty)), num, t, ifx))
    return out


def socks_names(path):
    """SOCKS requests that carry a name for the proxy to resolve (SOCKS5
    address type 3, SOCKS4a): the name leaves the client inside whatever
    carries the proxy's traffic, as (key, frame, time, ifindex)."""
    rows = tshark(path, "socks.remote_name || socks.v4a_dns_name",
                  ["frame.number", "frame.time_relative", "sll.ifindex", "ip.src", "ipv6.src",
                   "ip.dst", "ipv6.dst", "tcp.dstport", "socks.version", "socks.remote_name",
                   "socks.v4a_dns_name"])
    return [((("socks%s" % ver), s4 or s6, d4 or d6, p, n5 or n4, "-"), num, t, ifx)
            for (num, t, ifx, s4, s6, d4, d6, p, ver, n5, n4) in rows]


def hellos(path):
    rows = tshark(path, "tcp && tls.handshake.type == 1",
                  ["frame.number", "frame.time_relative", "sll.ifindex", "ip.src", "ipv6.src",
                   "ip.dst", "ipv6.dst", "tcp.dstport", "tls.handshake.extensions_server_name"])
    return [(((int(p) == 853) and "dot" or "doh", s4 or s6, d4 or d6, p, sni), num, t, ifx)
            for (num, t, ifx, s4, s6, d4, d6, p, sni) in rows]


def check(sdir):
    name = os.path.basename(sdir.rstrip("/"))
    with open(os.path.join(sdir, "truth.tsv"), newline="") as f:
        truth = list(csv.DictReader(f, delimiter="\t"))
    root = ET.parse(os.path.join(sdir, "tunnel.xml")).getroot()
    at_router = root.find(".//" + NS + "interface") is None
    # A WireGuard carrier on UDP 53 is not DNS: tell tshark so (the endpoint
    # address and port come from tunnel.xml).
    carrier53 = [ep.get("address") for ep in root.iter(NS + "endpoint")
                 if ep.get("port") == "53" and ep.get("transport") == "udp"]
    clear_t, enc_t = collections.Counter(), collections.Counter()
    for r in truth:
        if r["proto"] in ("dot", "doh", "doq"):
            enc_t[((r["proto"], r["client"], r["server"], r["server_port"], r["sni"]), r["path"])] += 1
        else:
            clear_t[((r["proto"], r["client"], r["server"], r["server_port"], r["qname"], r["qtype"]),
                     r["path"])] += 1
    errors = []

    def compare(label, seen, expected_multi, exact):
        got = collections.Counter(k for k, *_ in seen)
        for k in sorted(set(got) | set(expected_multi)):
            g, e = got.get(k, 0), expected_multi.get(k, 0)
            if (exact and g != e) or (not exact and (g == 0) != (e == 0)):
                frames = [n for kk, n, *_ in seen if kk == k]
                errors.append("%s: %s seen %d expected %d (frames %s)" % (label, "|".join(k), g, e,
                                                                        ",".join(frames) or "-"))
        return sum(got.values())

    phys = os.path.join(sdir, "phys.pcap")
    anyp = os.path.join(sdir, "any.pcap")
    def q(path):
        # drop the carrier packets (to or from the endpoint), keep the rest
        return [x for x in questions(path) + socks_names(path)
                if x[0][1] not in carrier53 and x[0][2] not in carrier53]

    phys_q, any_q = q(phys), q(anyp)
    # a TLS carrier (OpenConnect's CSTP on 443) is not DoH: ClientHellos to
    # a described TCP endpoint are the carrier's
    tls_carrier = {(ep.get("address"), ep.get("port")) for ep in root.iter(NS + "endpoint")
                   if ep.get("transport") == "tcp"}
    def h(path):
        return [x for x in hellos(path) if (x[0][2], x[0][3]) not in tls_carrier]
    phys_h, any_h = h(phys), h(anyp)
    exp_phys = collections.Counter({k: c for (k, p), c in clear_t.items() if p == "outside"})
    exp_any = collections.Counter({k: c for (k, p), c in clear_t.items()
                                   if p == "outside" or (p == "tunnel" and not at_router)})
    exp_phys_h = collections.Counter({k: c for (k, p), c in enc_t.items() if p == "outside"})
    exp_any_h = collections.Counter({k: c for (k, p), c in enc_t.items()
                                     if p == "outside" or (p == "tunnel" and not at_router)})
    n1 = compare("phys", phys_q, exp_phys, True)
    n2 = compare("any", any_q, exp_any, False)
    n3 = compare("phys-tls", phys_h, exp_phys_h, True)
    n4 = compare("any-tls", any_h, exp_any_h, False)
    pkts = {p: len(tshark(os.path.join(sdir, p), "frame", ["frame.number"]))
            for p in ("phys.pcap", "any.pcap")}
    status = "FAIL" if errors else "ok"
    print("%-28s %-4s truth %2d rows (%d tunnel, %d outside) | phys: %3d pkts, %2d questions, %d hellos"
          " | any: %3d pkts, %2d questions, %d hellos%s" % (
              name, status, len(truth), sum(r["path"] == "tunnel" for r in truth),
              sum(r["path"] == "outside" for r in truth), pkts["phys.pcap"], n1, n3,
              pkts["any.pcap"], n2, n4, " (router capture)" if at_router else ""))
    for e in errors:
        print("    " + e)
    return not errors


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    top = argv[1]
    names = argv[2:] or sorted(d for d in os.listdir(top)
                               if os.path.isfile(os.path.join(top, d, "truth.tsv")))
    ok = True
    for n in names:
        ok &= check(os.path.join(top, n))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
