#!/usr/bin/python3
"""llsend.py - sends one local-link name query (mDNS, LLMNR or NetBIOS-NS).

RFC 6762 (mDNS), RFC 4795 (LLMNR), RFC 1002 (NetBIOS name service).
Used by the capture lab (run.sh); python3 standard library only.

usage: llsend.py mdns|llmnr SRCADDR IFNAME NAME QTYPE
       llsend.py nbns SRCADDR BCASTADDR NAME SUFFIXHEX

SRCADDR is bound explicitly so the source address written to truth.tsv is
the one on the wire; IFNAME selects the outgoing interface for multicast so
the query leaves on the physical interface even when the default route points
into a tunnel.  Sends exactly one datagram and exits (no retries, no waiting
for answers): the lab's ground truth counts one question per call.
"""
import socket
import struct
import sys

QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "PTR": 12, "TXT": 16, "AAAA": 28,
          "SRV": 33, "ANY": 255}


def dns_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise SystemExit("llsend: bad label in %r" % name)
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def dns_query(qid, name, qtype):
    # flags 0: standard query, RD clear (mDNS and LLMNR both want RD=0)
    hdr = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0)
    return hdr + dns_name(name) + struct.pack("!HH", QTYPES[qtype], 1)


def nb_encode(name, suffix):
    """First-level encoding (RFC 1001 14.1): 15 chars space padded + suffix,
    each nibble + 'A', as a single 32-byte label with the empty scope."""
    raw = name.upper().encode("ascii")
    if len(raw) > 15:
        raise SystemExit("llsend: NetBIOS name longer than 15: %r" % name)
    raw = raw.ljust(15, b" ") + bytes([suffix])
    enc = bytearray()
    for b in raw:
        enc.append(ord("A") + (b >> 4))
        enc.append(ord("A") + (b & 0x0F))
    return bytes([32]) + bytes(enc) + b"\x00"


def main(argv):
    if len(argv) != 6:
        raise SystemExit(__doc__)
    proto, src, arg3, name, arg5 = argv[1:]
    if proto in ("mdns", "llmnr"):
        ifname, qtype = arg3, arg5
        v6 = ":" in src
        port = 5353 if proto == "mdns" else 5355
        if v6:
            group = "ff02::fb" if proto == "mdns" else "ff02::1:3"
        else:
            group = "224.0.0.251" if proto == "mdns" else "224.0.0.252"
        # mDNS one-shot queriers use id 0 and source port 5353 (RFC 6762 5.1/6);
        # LLMNR uses a random id and an ephemeral port: a fixed id keeps the
        # capture reproducible.
        qid = 0 if proto == "mdns" else 0x4c4c
        sport = 5353 if proto == "mdns" else 0
        ifindex = socket.if_nametoindex(ifname)
        if v6:
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255 if proto == "mdns" else 1)
            s.bind((src, sport, 0, ifindex))
            s.sendto(dns_query(qid, name, qtype), (group, port, 0, ifindex))
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255 if proto == "mdns" else 1)
            s.bind((src, sport))
            s.sendto(dns_query(qid, name, qtype), (group, port))
        s.close()
    elif proto == "nbns":
        bcast, suffix = arg3, int(arg5, 16)
        # header: id, flags 0x0110 (query, RD, broadcast), 1 question
        pkt = struct.pack("!HHHHHH", 0x4e42, 0x0110, 1, 0, 0, 0)
        pkt += nb_encode(name, suffix) + struct.pack("!HH", 0x20, 1)  # NB, IN
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        s.bind((src, 137))
        s.sendto(pkt, (bcast, 137))
        s.close()
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
