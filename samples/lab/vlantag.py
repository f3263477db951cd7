#!/usr/bin/python3
"""vlantag.py - a user-space 802.1Q sub-interface, for kernels without 8021q.

IEEE 802.1Q.  Used by the capture lab (run.sh, scenario "vlan") only when
`ip link add ... type vlan` fails because the kernel has no 8021q support.

usage: vlantag.py TAPNAME TRUNKIF VID

Creates the TAP interface TAPNAME (the "sub-interface": the host puts its
addresses on it) and relays Ethernet frames between it and TRUNKIF (the
"parent"): frames the host sends on TAPNAME leave TRUNKIF with an 802.1Q tag
carrying VID; tagged frames arriving on TRUNKIF with that VID are untagged and
handed to TAPNAME.  A capture on TRUNKIF therefore shows the tags exactly as
with a kernel VLAN device, and one on "any" sees TAPNAME untagged and TRUNKIF
tagged, as it would.  The TAP device has no offloads, so the kernel hands it
finished frames with complete checksums, never GSO super-frames.

Prints "ready" once TAPNAME exists.  Runs until killed (SIGTERM).
"""
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETH_P_ALL = 0x0003
ETH_P_8021Q = 0x8100
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10
MAXFRAME = 65536


def main(argv):
    if len(argv) != 4:
        raise SystemExit(__doc__)
    tapname, trunk, vid = argv[1], argv[2], int(argv[3])
    if not 0 < vid < 4095:
        raise SystemExit("vlantag: VID out of range: %d" % vid)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    tap = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH", tapname.encode(), IFF_TAP | IFF_NO_PI))

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    sock.bind((trunk, ETH_P_ALL))
    tag = struct.pack("!HH", ETH_P_8021Q, vid)
    print("ready", flush=True)

    while True:
        r, _, _ = select.select([tap, sock], [], [])
        if tap in r:
            frame = os.read(tap, MAXFRAME)
            if len(frame) >= 14:
                sock.send(frame[:12] + tag + frame[12:])
        if sock in r:
            try:
                data, anc, _, addr = sock.recvmsg(MAXFRAME, socket.CMSG_SPACE(20))
            except OSError:
                time.sleep(0.1)  # trunk down (ENETDOWN): wait, do not spin
                continue
            if addr[2] == PACKET_OUTGOING or len(data) < 14:
                continue  # our own transmissions, or runts
            fvid = None
            for level, ctype, cdata in anc:
                if level == SOL_PACKET and ctype == PACKET_AUXDATA and len(cdata) >= 20:
                    status, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", cdata[:20])
                    if status & TP_STATUS_VLAN_VALID:
                        fvid = tci & 0x0FFF
            # The kernel normally strips the tag into the aux data; if it is
            # still in the frame, take it from there.
            if fvid is None and len(data) >= 18 and struct.unpack("!H", data[12:14])[0] == ETH_P_8021Q:
                fvid = struct.unpack("!H", data[14:16])[0] & 0x0FFF
                data = data[:12] + data[16:]
            if fvid == vid:
                try:
                    os.write(tap, data)
                except OSError:
                    pass  # TAP not up yet (EIO): the frame is dropped, as on a down link


if __name__ == "__main__":
    sys.exit(main(sys.argv))
