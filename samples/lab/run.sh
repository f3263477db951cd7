#!/bin/sh
# run.sh - the leakscope capture lab: builds network namespaces, runs real
# VPN software (wireguard-go, OpenVPN, strongSwan, OpenSSH, ocserv/openconnect)
# and real DNS clients/servers (dig, kdig, curl, dnsmasq, unbound), captures
# with tcpdump and writes, per scenario,
# samples/<scenario>/{phys.pcap,any.pcap,tunnel.xml,truth.tsv}.
#
# usage: sh samples/lab/run.sh [scenario...]      (root; default: all)
#        sh samples/lab/run.sh --list
#
# truth.tsv is written from what each scenario does (every query helper below
# both runs the client and appends the row the scenario author decided on); it
# is never derived from the capture.  check.py compares the two afterwards.
#
# Everything runs inside namespaces named lslab-*; nothing touches a real
# interface.  Every process is started through bg() which records its PID;
# the EXIT trap stops them by PID and deletes the namespaces, also on failure.
# A previous run that died hard is cleaned up first (its processes are found
# by PID through `ip netns pids` of the lslab-* namespaces).

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail

LAB=$(cd "$(dirname "$0")" && pwd)
SAMPLES=$(dirname "$LAB")
NSP=lslab
NS_CLI=$NSP-cli
NS_CLI2=$NSP-cli2
NS_CLI3=$NSP-cli3
NS_RTR=$NSP-rtr
NS_VPN=$NSP-vpn
NS_VPNIN=$NSP-vpnin
NS_PUB=$NSP-pub
PY=/usr/bin/python3
# Per-scenario logs of every daemon and client; kept after the run (also on
# failure) for inspection, replaced by the next run.
LOGROOT=/tmp/leakscope-lab-logs
LOGD=""
VLAN_IMPL=""
OC_ADDR=10.72.0.130 # the address ocserv gives (predictable-ips); checked at run time
SNAP=262144

ALL_SCENARIOS="wg-clean wg-split wg-ipv6-leak wg-killswitch wg-bootstrap wg-parallel
doh-outside doh-inside dot-outside dns-tcp-multi wg-resolver-routed-outside local-link
ovpn-udp ovpn-tcp vlan gateway-two-clients wg-over-53
ipsec-strongswan ssh-socks openconnect-ocserv gateway-novpn sll1-any ipsec-midsession ipsec-killswitch
ovpn-midsession"

log() { printf 'lab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ "${1:-}" = "--list" ]; then
	echo $ALL_SCENARIOS
	exit 0
fi
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, tun devices)"

SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || read -r -a SCENARIOS <<<"$(echo $ALL_SCENARIOS)"
for s in "${SCENARIOS[@]}"; do
	case " $(echo $ALL_SCENARIOS) " in
	*" $s "*) ;;
	*) die "unknown scenario '$s' (try --list)" ;;
	esac
done

sh "$LAB/deps.sh"

# ---------------------------------------------------------------- processes

TMP=""
PIDS=()
LASTPID=""

nsx() { ip netns exec "$@"; }

# bg NS LOGFILE cmd... : start cmd in namespace NS in the background, record its PID.
# `ip netns exec` execs the command, so $! is the command's own PID.
bg() {
	local ns=$1 logf=$2
	shift 2
	ip netns exec "$ns" "$@" >"$logf" 2>&1 </dev/null &
	LASTPID=$!
	PIDS+=("$LASTPID")
}

is_live() { # pid: running and not a zombie
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

# stop_pid PID [SIGNAL]: signal, wait up to 5 s, then SIGKILL; reaps if ours.
stop_pid() {
	local pid=$1 sig=${2:-TERM} i
	if is_live "$pid"; then
		kill -s "$sig" "$pid" 2>/dev/null || true
		for i in $(seq 1 50); do
			is_live "$pid" || break
			sleep 0.1
		done
		if is_live "$pid"; then
			log "pid $pid ignored SIG$sig, killing"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

lab_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NSP-" || true; }

# Stops every recorded process, then anything still living in a lab namespace
# (left by a run that was killed hard), deletes the namespaces and the
# per-namespace resolv.conf files.
lab_down() {
	local i ns pid
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${PIDS[$i]}"
	done
	PIDS=()
	for ns in $(lab_namespaces); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			stop_pid "$pid"
		done
		ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"
	done
	rm -rf /etc/netns/$NSP-*
	rmdir /etc/netns 2>/dev/null || true # only if empty
	# wireguard-go removes its control socket on a clean exit; a SIGKILLed
	# one leaves it behind, and only lab interfaces are named lswg-*.
	rm -f /var/run/wireguard/lswg-*.sock
}

on_exit() {
	local rc=$?
	trap - EXIT INT TERM
	lab_down
	[ -n "$TMP" ] && rm -rf "$TMP"
	[ $rc -eq 0 ] || log "failed (exit $rc); lab torn down; logs in $LOGROOT"
	exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# wait_until DESC TENTHS cmd...: poll cmd every 0.1 s, at most TENTHS times.
wait_until() {
	local desc=$1 n=$2 i
	shift 2
	for ((i = 0; i < n; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	die "timed out waiting for $desc"
}

listening() { # ns proto(u|t) addr port
	nsx "$1" ss -Hln"$2" "sport = :$4" | awk '{print $4}' | grep -qF "$3:$4"
}

# ---------------------------------------------------------------- topology
#
#  lslab-cli               lslab-rtr                  lslab-vpn
#  cli0 192.168.1.10 ----- lan0 192.168.1.1   wan0 -- eth0 203.0.113.5
#       fd00:1::10              fd00:1::1   203.0.113.1   2001:db8:113::5
#       fe80::10                fe80::1     2001:db8:113::1   wireguard-go, OpenVPN,
#                          (dnsmasq: LAN resolver)             dnsmasq on tunnel addrs
#                               wan1 198.51.100.1 ------- lslab-pub eth0 198.51.100.53
#                                    2001:db8:100::1              2001:db8:100::53
#                                                         (unbound: DNS 53, DoT 853, DoH 443)

mkns() {
	ip netns add "$1"
	nsx "$1" ip link set lo up
	# No DAD delay, no router solicitations or RAs: addresses are static and
	# usable at once, and the captures hold no autoconfiguration chatter.
	nsx "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

router_on() { nsx "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1; }

# client_if NS IF ADDR4 ADDR6 LL: static addresses, no autoconf link-local
client_addrs() {
	local ns=$1 ifn=$2
	nsx "$ns" ip addr add "$3/24" brd + dev "$ifn"
	nsx "$ns" ip addr add "$4/64" dev "$ifn" nodad
	nsx "$ns" ip addr add "$5/64" dev "$ifn" nodad
}

# lab_up plain|vlan|gateway|gateway3   (gateway3: gateway plus a host without VPN)
lab_up() {
	local variant=$1 ns
	for ns in $NS_CLI $NS_RTR $NS_VPN $NS_PUB; do mkns "$ns"; done
	mkdir -p /etc/netns/$NS_CLI
	# Anything in the client that would use the system resolver lands on
	# 127.0.0.1 (nothing listens), visible in any.pcap as an unexpected query.
	echo "nameserver 127.0.0.1" >/etc/netns/$NS_CLI/resolv.conf

	ip link add cli0 netns $NS_CLI address 02:00:00:00:01:0a type veth \
		peer name lan0 netns $NS_RTR address 02:00:00:00:01:01
	nsx $NS_CLI ip link set cli0 addrgenmode none
	nsx $NS_RTR ip link set lan0 addrgenmode none
	case $variant in
	plain)
		CLI_IF=cli0
		RTR_IF=lan0
		;;
	vlan)
		nsx $NS_CLI ip link set cli0 up
		nsx $NS_RTR ip link set lan0 up
		if nsx $NS_CLI ip link add link cli0 name cli0.100 type vlan id 100 2>/dev/null; then
			VLAN_IMPL="kernel 8021q VLAN devices"
			nsx $NS_RTR ip link add link lan0 name lan0.100 type vlan id 100
		else
			# No 8021q in this kernel: the same sub-interfaces in user
			# space (TAP device + tagging relay on the parent).
			VLAN_IMPL="user-space 802.1Q sub-interfaces (samples/lab/vlantag.py; the kernel had no 8021q)"
			nsx $NS_CLI ip link set cli0 mtu 1504 promisc on
			nsx $NS_RTR ip link set lan0 mtu 1504 promisc on
			bg $NS_CLI "$LOGD/vlantag-cli.log" $PY -u "$LAB/vlantag.py" cli0.100 cli0 100
			bg $NS_RTR "$LOGD/vlantag-rtr.log" $PY -u "$LAB/vlantag.py" lan0.100 lan0 100
			wait_until "vlantag on cli0" 50 grep -q ready "$LOGD/vlantag-cli.log"
			wait_until "vlantag on lan0" 50 grep -q ready "$LOGD/vlantag-rtr.log"
			nsx $NS_CLI ip link set cli0.100 address 02:00:00:00:01:0a
			nsx $NS_RTR ip link set lan0.100 address 02:00:00:00:01:01
		fi
		log "vlan: $VLAN_IMPL"
		nsx $NS_CLI ip link set cli0.100 addrgenmode none
		nsx $NS_RTR ip link set lan0.100 addrgenmode none
		CLI_IF=cli0.100
		RTR_IF=lan0.100
		;;
	gateway | gateway3)
		mkns $NS_CLI2
		mkdir -p /etc/netns/$NS_CLI2
		echo "nameserver 127.0.0.1" >/etc/netns/$NS_CLI2/resolv.conf
		ip link add cli1 netns $NS_CLI2 address 02:00:00:00:01:0b type veth \
			peer name lan1 netns $NS_RTR address 02:00:00:00:01:02
		nsx $NS_CLI2 ip link set cli1 addrgenmode none
		nsx $NS_RTR ip link set lan1 addrgenmode none
		# the router's MAC moves from lan0 to the bridge
		nsx $NS_RTR ip link set lan0 address 02:00:00:00:01:03
		nsx $NS_RTR ip link add br0 address 02:00:00:00:01:01 type bridge stp_state 0 mcast_snooping 0
		nsx $NS_RTR ip link set br0 addrgenmode none
		nsx $NS_RTR ip link set lan0 master br0
		nsx $NS_RTR ip link set lan1 master br0
		nsx $NS_RTR ip link set lan0 up
		nsx $NS_RTR ip link set lan1 up
		client_addrs $NS_CLI2 cli1 192.168.1.11 fd00:1::11 fe80::11
		nsx $NS_CLI2 ip link set cli1 up
		nsx $NS_CLI2 ip route add default via 192.168.1.1
		nsx $NS_CLI2 ip -6 route add default via fd00:1::1
		if [ "$variant" = gateway3 ]; then
			# a third host on the LAN, with no VPN at all
			mkns $NS_CLI3
			mkdir -p /etc/netns/$NS_CLI3
			echo "nameserver 127.0.0.1" >/etc/netns/$NS_CLI3/resolv.conf
			ip link add cli2 netns $NS_CLI3 address 02:00:00:00:01:0c type veth \
				peer name lan2 netns $NS_RTR address 02:00:00:00:01:04
			nsx $NS_CLI3 ip link set cli2 addrgenmode none
			nsx $NS_RTR ip link set lan2 addrgenmode none
			nsx $NS_RTR ip link set lan2 master br0
			nsx $NS_RTR ip link set lan2 up
			client_addrs $NS_CLI3 cli2 192.168.1.12 fd00:1::12 fe80::12
			nsx $NS_CLI3 ip link set cli2 up
			nsx $NS_CLI3 ip route add default via 192.168.1.1
			nsx $NS_CLI3 ip -6 route add default via fd00:1::1
		fi
		CLI_IF=cli0
		RTR_IF=br0
		;;
	*) die "bad lab variant $variant" ;;
	esac
	client_addrs $NS_CLI $CLI_IF 192.168.1.10 fd00:1::10 fe80::10
	nsx $NS_CLI ip link set cli0 up
	nsx $NS_CLI ip link set $CLI_IF up
	nsx $NS_CLI ip route add default via 192.168.1.1
	nsx $NS_CLI ip -6 route add default via fd00:1::1

	nsx $NS_RTR ip addr add 192.168.1.1/24 brd + dev $RTR_IF
	nsx $NS_RTR ip addr add fd00:1::1/64 dev $RTR_IF nodad
	nsx $NS_RTR ip addr add fe80::1/64 dev $RTR_IF nodad
	nsx $NS_RTR ip link set lan0 up
	nsx $NS_RTR ip link set $RTR_IF up

	ip link add wan0 netns $NS_RTR address 02:00:00:00:02:01 type veth \
		peer name eth0 netns $NS_VPN address 02:00:00:00:02:05
	ip link add wan1 netns $NS_RTR address 02:00:00:00:03:01 type veth \
		peer name eth0 netns $NS_PUB address 02:00:00:00:03:53
	nsx $NS_RTR ip addr add 203.0.113.1/24 dev wan0
	nsx $NS_RTR ip addr add 2001:db8:113::1/64 dev wan0 nodad
	nsx $NS_RTR ip addr add 198.51.100.1/24 dev wan1
	nsx $NS_RTR ip addr add 2001:db8:100::1/64 dev wan1 nodad
	nsx $NS_RTR ip link set wan0 up
	nsx $NS_RTR ip link set wan1 up
	router_on $NS_RTR
	# Tunnel address pools live behind the VPN server (no NAT in the lab).
	nsx $NS_RTR ip route add 10.64.0.0/12 via 203.0.113.5
	nsx $NS_RTR ip route add 10.8.0.0/15 via 203.0.113.5
	nsx $NS_RTR ip -6 route add fd00:66::/32 via 2001:db8:113::5

	nsx $NS_VPN ip addr add 203.0.113.5/24 dev eth0
	nsx $NS_VPN ip addr add 2001:db8:113::5/64 dev eth0 nodad
	nsx $NS_VPN ip link set eth0 up
	nsx $NS_VPN ip route add default via 203.0.113.1
	nsx $NS_VPN ip -6 route add default via 2001:db8:113::1
	router_on $NS_VPN

	nsx $NS_PUB ip addr add 198.51.100.53/24 dev eth0
	nsx $NS_PUB ip addr add 2001:db8:100::53/64 dev eth0 nodad
	nsx $NS_PUB ip link set eth0 up
	nsx $NS_PUB ip route add default via 198.51.100.1
	nsx $NS_PUB ip -6 route add default via 2001:db8:100::1

	lan_dns
	pub_dns
}

# ---------------------------------------------------------------- services

DNSMASQ_COMMON=(dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --no-poll
	--bind-interfaces --user=root --group=root --log-queries)

# The ISP-style LAN resolver in the router, answering from a local table.
lan_dns() {
	bg $NS_RTR "$LOGD/dnsmasq-lan.log" "${DNSMASQ_COMMON[@]}" \
		--pid-file="$TMP/run/dnsmasq-lan.pid" --log-facility="$LOGD/dnsmasq-lan-queries.log" \
		--listen-address=192.168.1.1 --listen-address=fd00:1::1 \
		--address=/vpn.example.net/203.0.113.5 --address=/vpn.example.net/2001:db8:113::5 \
		--address=/corp.example/192.168.1.20 --address=/corp.example/fd00:1::20 \
		--address=/#/192.0.2.80 --address=/#/2001:db8::80
	wait_until "LAN dnsmasq" 50 listening $NS_RTR u 192.168.1.1 53
}

# tun_dns NS ADDR...: the VPN's own resolver, bound to tunnel addresses only,
# so it is reachable only through the tunnel (or by a route that reaches the
# server's tunnel address some other way: wg-resolver-routed-outside).
tun_dns() {
	local ns=$1 a args=()
	shift
	for a in "$@"; do args+=(--listen-address="$a"); done
	bg "$ns" "$LOGD/dnsmasq-tun.log" "${DNSMASQ_COMMON[@]}" \
		--pid-file="$TMP/run/dnsmasq-tun.pid" --log-facility="$LOGD/dnsmasq-tun-queries.log" \
		"${args[@]}" \
		--address=/corp.example/10.66.10.20 \
		--address=/#/192.0.2.80 --address=/#/2001:db8::80
	wait_until "tunnel dnsmasq" 50 listening "$ns" u "$1" 53
}

# A "public" resolver (think 1.1.1.1 / 8.8.8.8): unbound with DNS, DoT and
# DoH (RFC 8484, HTTP/2 via nghttp2), certificate names matching well-known
# DoH services.  All answers from local data; no upstream.
pub_dns() {
	local d=$TMP/unbound
	mkdir -p "$d"
	cat >"$d/unbound.conf" <<EOF
server:
	verbosity: 1
	log-queries: yes
	use-syslog: no
	logfile: "$LOGD/unbound-queries.log"
	username: ""
	chroot: ""
	directory: "$d"
	pidfile: "$d/unbound.pid"
	do-daemonize: no
	num-threads: 1
	interface: 198.51.100.53@53
	interface: 198.51.100.53@853
	interface: 198.51.100.53@443
	interface: 2001:db8:100::53@53
	interface: 2001:db8:100::53@853
	interface: 2001:db8:100::53@443
	tls-port: 853
	https-port: 443
	http-endpoint: "/dns-query"
	tls-service-key: "$TMP/pki/srv.key"
	tls-service-pem: "$TMP/pki/srv.pem"
	access-control: 0.0.0.0/0 allow
	access-control: ::/0 allow
	module-config: "iterator"
	local-zone: "." static
	local-data: "www.example.com. 300 IN A 192.0.2.80"
	local-data: "www.example.com. 300 IN AAAA 2001:db8::80"
	local-data: "mail.example.com. 300 IN A 192.0.2.25"
	local-data: "api.example.org. 300 IN A 192.0.2.81"
	local-data: "shop.example.org. 300 IN A 192.0.2.82"
	local-data: "news.example.com. 300 IN A 192.0.2.83"
remote-control:
	control-enable: no
EOF
	bg $NS_PUB "$LOGD/unbound.log" unbound -d -c "$d/unbound.conf"
	wait_until "unbound DoH" 80 listening $NS_PUB t 198.51.100.53 443
	wait_until "unbound DoT" 20 listening $NS_PUB t 198.51.100.53 853
	wait_until "unbound DNS" 20 listening $NS_PUB u 198.51.100.53 53
}

pki() {
	local p=$TMP/pki
	mkdir -p "$p"
	(
		cd "$p"
		o() { openssl "$@" >/dev/null 2>&1; }
		o req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
			-days 3650 -subj "/CN=leakscope lab CA"
		mk() { # name cn ext
			o req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
			printf '%s\n' "$3" >"$1.ext"
			o x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days 3650 -extfile "$1.ext"
		}
		mk srv dns.google "subjectAltName=DNS:dns.google,DNS:cloudflare-dns.com,IP:198.51.100.53
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth"
		mk ovpn-srv vpn.example.net "keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth"
		mk ovpn-cli client1 "keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=clientAuth"
	)
	[ -s "$p/srv.pem" ] && [ -s "$p/ovpn-cli.pem" ] || die "certificate generation failed"
}

# ---------------------------------------------------------------- WireGuard

wg_keys() { # iface...
	local i
	for i in "$@"; do
		[ -s "$TMP/keys/$i.key" ] && continue
		(umask 077 && wg genkey >"$TMP/keys/$i.key")
		wg pubkey <"$TMP/keys/$i.key" >"$TMP/keys/$i.pub"
	done
}

wg_start() { # ns iface
	wg_keys "$2"
	bg "$1" "$LOGD/$2.log" env LOG_LEVEL=error wireguard-go -f "$2"
	eval "PID_$(echo "$2" | tr -c 'a-zA-Z0-9\n' _)=$LASTPID"
	wait_until "$2 control socket" 50 test -S "/var/run/wireguard/$2.sock"
}

# wg_server IFACE PORT ADDR4/LEN [ADDR6/LEN]   (in the VPN namespace)
wg_server() {
	wg_start $NS_VPN "$1"
	nsx $NS_VPN wg set "$1" listen-port "$2" private-key "$TMP/keys/$1.key"
	nsx $NS_VPN ip addr add "$3" dev "$1"
	[ -z "${4:-}" ] || nsx $NS_VPN ip addr add "$4" dev "$1" nodad
	nsx $NS_VPN ip link set "$1" up
}

# wg_client NS IFACE SERVERIF ENDPOINT LPORT ADDR4/32 [ADDR6/128]
# Adds the client as a peer of the server and the server as the client's
# peer (AllowedIPs everything: full tunnel), persistent keepalive 1 s on the
# client only, so the capture shows the carrier alive while the tunnel is up
# and silent once the client is gone (the server never initiates).
wg_client() {
	local ns=$1 ifn=$2 srv=$3 ep=$4 lport=$5 a4=$6 a6=${7:-} allowed
	wg_start "$ns" "$ifn"
	allowed=${a4}${a6:+,$a6}
	nsx $NS_VPN wg set "$srv" peer "$(cat "$TMP/keys/$ifn.pub")" allowed-ips "$allowed"
	nsx "$ns" wg set "$ifn" listen-port "$lport" private-key "$TMP/keys/$ifn.key" \
		peer "$(cat "$TMP/keys/$srv.pub")" endpoint "$ep" allowed-ips 0.0.0.0/0,::/0 \
		persistent-keepalive 1
	nsx "$ns" ip addr add "$a4" dev "$ifn"
	[ -z "$a6" ] || nsx "$ns" ip addr add "$a6" dev "$ifn" nodad
	nsx "$ns" ip link set "$ifn" up
}

# full_tunnel NS TUNIF GW4 ENDPOINT_ADDR LANGW [v6]: everything into the
# tunnel except the carrier itself (host route to the endpoint via the LAN).
full_tunnel() {
	local ns=$1 tif=$2 gw=$3 ep=$4 langw=$5 v6=${6:-}
	nsx "$ns" ip route add "$ep/32" via "$langw"
	if [ -n "$gw" ]; then
		nsx "$ns" ip route replace default via "$gw" dev "$tif"
	else
		nsx "$ns" ip route replace default dev "$tif"
	fi
	if [ "$v6" = v6 ]; then
		nsx "$ns" ip -6 route replace default dev "$tif"
	fi
}

# tunnel_ping NS ADDR: the first packet triggers the WireGuard handshake;
# up to 5 pings of 2 s, so a slow handshake does not fail the run.
tunnel_ping() {
	local i
	for i in 1 2 3 4 5; do
		nsx "$1" ping -n -c 1 -W 2 "$2" >/dev/null 2>&1 && return 0
	done
	die "no answer from $2 through the tunnel"
}

# ---------------------------------------------------------------- OpenVPN

# ovpn_server NAME IFACE PROTO PORT NET   (NET like 10.8.0.0)
ovpn_server() {
	local name=$1 ifn=$2 proto=$3 port=$4 net=$5
	bg $NS_VPN "$LOGD/$name.log" openvpn --dev "$ifn" --dev-type tun --proto "$proto" \
		--local 203.0.113.5 --port "$port" --topology subnet --server "$net" 255.255.255.0 \
		--ca "$TMP/pki/ca.pem" --cert "$TMP/pki/ovpn-srv.pem" --key "$TMP/pki/ovpn-srv.key" \
		--dh none --keepalive 2 10 --disable-dco --data-ciphers AES-256-GCM --verb 3
	wait_until "$name tun address" 100 sh -c "ip netns exec $NS_VPN ip -4 addr show dev $ifn | grep -q inet"
}

# ovpn_client NAME IFACE PROTO PORT: waits for "Initialization Sequence Completed"
ovpn_client() {
	local name=$1 ifn=$2 proto=$3 port=$4
	bg $NS_CLI "$LOGD/$name.log" openvpn --client --dev "$ifn" --dev-type tun --proto "$proto" \
		--remote 203.0.113.5 "$port" --nobind --route-nopull \
		--ca "$TMP/pki/ca.pem" --cert "$TMP/pki/ovpn-cli.pem" --key "$TMP/pki/ovpn-cli.key" \
		--remote-cert-tls server --data-ciphers AES-256-GCM --disable-dco --verb 3
	OVPN_PID=$LASTPID
	wait_until "$name connected" 200 grep -q "Initialization Sequence Completed" "$LOGD/$name.log"
}

# ---------------------------------------------------------------- strongSwan
#
# charon (IKEv2) with the kernel-libipsec plugin: ESP in user space through a
# TUN device (ipsec0), because this kernel has XFRM but no ESP transform
# (CONFIG_INET_ESP unset); libipsec sends ESP only UDP-encapsulated, so the
# client forces NAT-T (encap = yes): IKE on UDP 500, then IKE and ESP-in-UDP
# on 4500.  Each charon gets its own strongswan.conf (STRONGSWAN_CONF), vici
# socket and a private /run (charon's PID file path is compiled in), so the
# two instances do not see each other.

# sw_start NS NAME: writes $TMP/sw-NAME/strongswan.conf, starts charon
sw_start() {
	local ns=$1 name=$2 d=$TMP/sw-$2
	mkdir -p "$d/run"
	cat >"$d/strongswan.conf" <<EOF
charon {
	load = random nonce aes sha1 sha2 hmac kdf gmp pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici attr
	install_routes = yes
	install_virtual_ip = yes
	install_virtual_ip_on = ipsec0
	retransmit_tries = 3
	plugins {
		vici {
			socket = unix://$d/charon.vici
		}
	}
	filelog {
		lab {
			path = $LOGD/charon-$name.log
			time_format = %T
			default = 1
			ike = 2
			cfg = 2
		}
	}
}
swanctl {
	load = random nonce aes sha1 sha2 hmac pem pkcs1 x509 pubkey
	socket = unix://$d/charon.vici
}
EOF
	bg "$ns" "$LOGD/charon-$name.out" env STRONGSWAN_CONF="$d/strongswan.conf" \
		unshare -m sh -c "mount -t tmpfs lab-run /run && exec /usr/lib/ipsec/charon"
	wait_until "charon $name vici socket" 100 test -S "$d/charon.vici"
	wait_until "charon $name ipsec0" 50 nsx "$ns" ip link show ipsec0
}

# sw_ctl NS NAME COMMAND args...   (swanctl wants the command first)
sw_ctl() {
	local ns=$1 name=$2 cmd=$3
	shift 3
	nsx "$ns" env STRONGSWAN_CONF="$TMP/sw-$name/strongswan.conf" swanctl "$cmd" --uri "unix://$TMP/sw-$name/charon.vici" "$@"
}

# ---------------------------------------------------------------- OpenSSH

# ssh_server: sshd on 203.0.113.5:22 in the VPN namespace, host and client
# keys made per run (ed25519), key authentication only.  A private /run
# holds /run/sshd (privilege separation) so nothing outside the lab changes.
ssh_server() {
	local d=$TMP/ssh
	mkdir -p "$d"
	ssh-keygen -q -t ed25519 -N '' -C lab-host -f "$d/host_ed25519"
	ssh-keygen -q -t ed25519 -N '' -C lab-client -f "$d/id_ed25519"
	cp "$d/id_ed25519.pub" "$d/authorized_keys"
	echo "203.0.113.5 $(cut -d' ' -f1,2 "$d/host_ed25519.pub")" >"$d/known_hosts"
	cat >"$d/sshd_config" <<EOF
ListenAddress 203.0.113.5:22
HostKey $d/host_ed25519
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $d/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
UseDNS no
LogLevel VERBOSE
EOF
	bg $NS_VPN "$LOGD/sshd.log" unshare -m sh -c \
		"mount -t tmpfs lab-run /run && mkdir -m 755 /run/sshd && exec /usr/sbin/sshd -D -e -f $d/sshd_config"
	wait_until "sshd" 50 listening $NS_VPN t 203.0.113.5 22
}

# ssh_socks: `ssh -D 127.0.0.1:1080 -N` from the client, by address (no
# lookup of the server's name), the host key pinned.
ssh_socks() {
	local d=$TMP/ssh
	bg $NS_CLI "$LOGD/ssh-client.log" ssh -F /dev/null -i "$d/id_ed25519" -o UserKnownHostsFile="$d/known_hosts" \
		-o StrictHostKeyChecking=yes -o BatchMode=yes -o ExitOnForwardFailure=yes -o ServerAliveInterval=0 \
		-D 127.0.0.1:1080 -N -v root@203.0.113.5
	wait_until "ssh -D 1080" 100 listening $NS_CLI t 127.0.0.1 1080
}

# ---------------------------------------------------------------- ocserv / OpenConnect

# oc_server: ocserv on 203.0.113.5 TCP 443 (CSTP over TLS) and UDP 443
# (DTLS), password authentication (ocpasswd, per-run password), the lab
# CA's vpn.example.net certificate, pool 10.72.0.0/24, pushed DNS 10.72.0.1.
# No worker isolation (seccomp) and no occtl, so it runs from a temp dir.
oc_server() {
	local d=$TMP/oc
	mkdir -p "$d"
	openssl rand -hex 16 >"$d/password"
	printf '%s\n%s\n' "$(cat "$d/password")" "$(cat "$d/password")" |
		ocpasswd -c "$d/ocpasswd" labuser >/dev/null 2>&1 || die "ocpasswd failed"
	cat >"$d/ocserv.conf" <<EOF
auth = "plain[passwd=$d/ocpasswd]"
listen-host = 203.0.113.5
tcp-port = 443
udp-port = 443
run-as-user = root
run-as-group = root
socket-file = $d/ocserv-socket
isolate-workers = false
max-clients = 4
max-same-clients = 1
keepalive = 32400
dpd = 90
mobile-dpd = 1800
switch-to-tcp-timeout = 25
try-mtu-discovery = false
server-cert = $TMP/pki/ovpn-srv.pem
server-key = $TMP/pki/ovpn-srv.key
tls-priorities = "NORMAL:%SERVER_PRECEDENCE:%COMPAT:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-TLS1.3"
auth-timeout = 240
cookie-timeout = 300
deny-roaming = false
rekey-time = 172800
rekey-method = ssl
use-occtl = false
pid-file = $d/ocserv.pid
log-level = 2
device = lsoc-s
predictable-ips = true
ipv4-network = 10.72.0.0
ipv4-netmask = 255.255.255.0
dns = 10.72.0.1
ping-leases = false
route = default
cisco-client-compat = true
dtls-legacy = true
EOF
	bg $NS_VPN "$LOGD/ocserv.log" ocserv -f -d 2 -c "$d/ocserv.conf"
	wait_until "ocserv tcp 443" 100 listening $NS_VPN t 203.0.113.5 443
	wait_until "ocserv udp 443" 50 listening $NS_VPN u 203.0.113.5 443
}

# oc_client IFACE: openconnect (AnyConnect protocol), the server certificate
# pinned by its key hash, the password on stdin.  Its script only puts the
# address on the TUN device (no resolv.conf, no routes: run.sh sets those)
# and writes it to $TMP/oc/client-addr.  Waits for the DTLS channel.
oc_client() {
	local d=$TMP/oc ifn=$1 pin
	pin=$(openssl x509 -in "$TMP/pki/ovpn-srv.pem" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64)
	cat >"$d/client-script.sh" <<EOF
#!/bin/sh
{ echo "reason=\$reason"; env | grep -E '^(TUNDEV|INTERNAL_IP4_|CISCO_|VPNGATEWAY)' | sort; } >>"$LOGD/openconnect-script.log"
case "\$reason" in
connect)
	ip link set dev "\$TUNDEV" up mtu "\${INTERNAL_IP4_MTU:-1400}"
	ip addr add "\$INTERNAL_IP4_ADDRESS/32" dev "\$TUNDEV"
	echo "\$INTERNAL_IP4_ADDRESS" >"$d/client-addr"
	;;
esac
exit 0
EOF
	chmod 755 "$d/client-script.sh"
	bg $NS_CLI "$LOGD/openconnect.log" sh -c "exec openconnect --protocol=anyconnect --interface=$ifn \
		--script=$d/client-script.sh --servercert=pin-sha256:$pin --user=labuser --passwd-on-stdin \
		--non-inter --reconnect-timeout=10 -v https://203.0.113.5/ <$d/password"
	OC_PID=$LASTPID
	wait_until "openconnect DTLS" 200 grep -q "Established DTLS connection" "$LOGD/openconnect.log"
	wait_until "openconnect address" 50 test -s "$d/client-addr"
}

# ---------------------------------------------------------------- capture

CAP_PIDS=()
ANY_DLT=LINUX_SLL2 # sll1-any sets LINUX_SLL (cooked v1: no interface index)
# cap_start NS PHYSIF: tcpdump on the physical interface (Ethernet pcap) and
# on "any" ($ANY_DLT) in the same namespace; -n: no reverse lookups of our own.
cap_start() {
	local ns=$1 ifn=$2
	CAP_PIDS=()
	bg "$ns" "$LOGD/tcpdump-phys.log" tcpdump -n -U -s $SNAP -Z root -i "$ifn" -w "$OUT/phys.pcap"
	CAP_PIDS+=("$LASTPID")
	bg "$ns" "$LOGD/tcpdump-any.log" tcpdump -n -U -s $SNAP -Z root -i any -y "$ANY_DLT" -w "$OUT/any.pcap"
	CAP_PIDS+=("$LASTPID")
	wait_until "tcpdump on $ifn" 50 grep -q "listening on" "$LOGD/tcpdump-phys.log"
	wait_until "tcpdump on any" 50 grep -q "listening on" "$LOGD/tcpdump-any.log"
	sleep 0.5
}

# SIGINT makes tcpdump flush and close the file properly.
cap_stop() {
	local p
	sleep 1
	for p in "${CAP_PIDS[@]}"; do stop_pid "$p" INT; done
	CAP_PIDS=()
}

# ---------------------------------------------------------------- queries + truth
#
# Each q_* helper runs one real client in the client namespace (CNS) and
# appends the truth row(s) for what it sent.  Columns:
# proto client server server_port qname qtype sni path verdict category note

CNS=$NS_CLI
GAP=0.3     # between queries
PHASE=2     # between phases: longer than the analyzer's 1 s windows

truth() {
	local IFS=$'\t'
	case "$*" in *$'\n'*) die "newline in truth row" ;; esac
	printf '%s\n' "$*" >>"$OUT/truth.tsv"
}

client() { # runs a client in CNS, logs its output, fails the run if it fails
	local rc=0
	printf '\n$ %s\n' "$*" >>"$LOGD/clients.log"
	nsx "$CNS" "$@" >"$LOGD/last.out" 2>&1 || rc=$?
	cat "$LOGD/last.out" >>"$LOGD/clients.log"
	[ $rc -eq 0 ] || die "client failed ($rc): $*  (see clients.log above)"
	sleep $GAP
}

dig_ok() { # dig must have got an answer: status NOERROR
	grep -q "status: NOERROR" "$LOGD/last.out" ||
		die "no NOERROR answer for: $*"
}

# q_udp CLIENT SERVER QNAME QTYPE PATH VERDICT CATEGORY NOTE
q_udp() {
	client dig +time=2 +tries=1 -b "$1" @"$2" "$3" "$4"
	dig_ok "$3"
	truth dns-udp "$1" "$2" 53 "$3" "$4" - "$5" "$6" "$7" "$8"
}

# q_tcp: one question on its own TCP connection, with kdig
q_tcp() {
	client kdig +time=2 +retry=0 +tcp -b "$1" @"$2" "$3" "$4"
	dig_ok "$3"
	truth dns-tcp "$1" "$2" 53 "$3" "$4" - "$5" "$6" "$7" "$8"
}

# q_tcp_multi CLIENT SERVER QTYPE PATH VERDICT CATEGORY NOTE NAME...: several
# questions on one TCP connection (dig +keepopen)
q_tcp_multi() {
	local c=$1 s=$2 t=$3 p=$4 v=$5 cat=$6 note=$7 n args=()
	shift 7
	for n in "$@"; do args+=("$n" "$t"); done
	client dig +time=2 +tries=1 +tcp +keepopen -b "$c" @"$s" "${args[@]}"
	[ "$(grep -c "status: NOERROR" "$LOGD/last.out")" -eq $# ] ||
		die "dig +keepopen: not every question answered"
	for n in "$@"; do truth dns-tcp "$c" "$s" 53 "$n" "$t" - "$p" "$v" "$cat" "$note"; done
}

# q_dot CLIENT SERVER SNI QNAME QTYPE PATH VERDICT CATEGORY NOTE (kdig, verified TLS)
q_dot() {
	client kdig +time=2 +retry=0 +tls-ca="$TMP/pki/ca.pem" +tls-hostname="$3" +tls-sni="$3" \
		-b "$1" @"$2" "$4" "$5"
	dig_ok "$4"
	truth dot "$1" "$2" 853 - - "$3" "$6" "$7" "$8" "$9"
}

# q_doh_curl CLIENT SERVER SNI TARGETNAME PATH VERDICT CATEGORY NOTE
# curl resolves TARGETNAME through DoH (RFC 8484 POST over HTTP/2); -4 makes
# it ask A only, so one question.  The DoH server name comes from --resolve,
# so no cleartext lookup of it.  The HTTP connect to the answer (192.0.2.80)
# then fails (no route at the router) with exit 7, which is expected.
q_doh_curl() {
	local rc=0
	printf '\n$ curl --doh-url https://%s/dns-query ... http://%s/\n' "$3" "$4" >>"$LOGD/clients.log"
	nsx "$CNS" curl -sS -4 --max-time 5 --doh-url "https://$3/dns-query" --doh-insecure \
		--resolve "$3:443:$2" -o /dev/null "http://$4/" >>"$LOGD/clients.log" 2>&1 || rc=$?
	case $rc in
	0 | 7) ;;
	*) die "curl DoH failed ($rc) for $4 via $2" ;;
	esac
	sleep $GAP
	truth doh "$1" "$2" 443 - - "$3" "$5" "$6" "$7" "$8"
}

# q_doh_get CLIENT SERVER SNI QNAME QTYPE PATH VERDICT CATEGORY NOTE
# kdig DoH with GET (?dns=base64url), the other RFC 8484 method.
q_doh_get() {
	client kdig +time=2 +retry=0 +tls-ca="$TMP/pki/ca.pem" +tls-hostname="$3" +tls-sni="$3" \
		+https=/dns-query +https-get -b "$1" @"$2" "$4" "$5"
	dig_ok "$4"
	truth doh "$1" "$2" 443 - - "$3" "$6" "$7" "$8" "$9"
}

# q_ll mdns|llmnr CLIENT IFACE GROUP QNAME QTYPE NOTE   (local-link leak)
q_ll() {
	local port=5353
	[ "$1" = llmnr ] && port=5355
	client "$PY" "$LAB/llsend.py" "$1" "$2" "$3" "$5" "$6"
	truth "$1" "$2" "$4" $port "$5" "$6" - outside leak local-link "$7"
}

# q_nbns CLIENT BCAST NAME SUFFIXHEX NOTE
q_nbns() {
	client "$PY" "$LAB/llsend.py" nbns "$1" "$2" "$3" "$4"
	truth nbns "$1" "$2" 137 "$3<$(echo "$4" | tr a-f A-F)>" NB - outside leak local-link "$5"
}

phase() { sleep $PHASE; }

# ---------------------------------------------------------------- tunnel.xml

xml_head() {
	cat <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<tunnels xmlns="urn:leakscope:tunnel:1">
EOF
}

# the usual WireGuard tunnel of the lab, as seen from the client
xml_wg() { # name port inside-ipv6?(yes|no) [physical]
	local phys=${4:-cli0}
	cat <<EOF
  <tunnel name="$1" kind="wireguard">
    <endpoint address="203.0.113.5" port="$2" transport="udp"/>
    <inside prefix="10.66.0.2/32"/>
EOF
	[ "$3" = yes ] && echo '    <inside prefix="fd00:66::2/128"/>'
	echo '    <resolver address="10.66.0.1" port="53"/>'
	[ "$3" = yes ] && echo '    <resolver address="fd00:66::1" port="53"/>'
	cat <<EOF
    <interface tunnel="lswg-c0" physical="$phys"/>
  </tunnel>
EOF
}

# ---------------------------------------------------------------- scenarios

# Common start: lab, WireGuard server lswg-s0 on 203.0.113.5:PORT with
# 10.66.0.1/24 (+ fd00:66::1/64), tunnel resolver on those addresses.
wg_lab() { # variant port
	lab_up "$1"
	wg_keys lswg-s0 lswg-c0
	wg_server lswg-s0 "$2" 10.66.0.1/24 fd00:66::1/64
	tun_dns $NS_VPN 10.66.0.1 fd00:66::1
}

# Client tunnel up: lswg-c0 10.66.0.2 (+ fd00:66::2), full tunnel, handshake.
wg_up() { # port v6?(v6|"")
	local a6=""
	[ "${2:-}" = v6 ] && a6=fd00:66::2/128
	wg_client $NS_CLI lswg-c0 lswg-s0 "203.0.113.5:$1" 40001 10.66.0.2/32 $a6
	full_tunnel $NS_CLI lswg-c0 "" 203.0.113.5 192.168.1.1 "${2:-}"
	tunnel_ping $NS_CLI 10.66.0.1
	[ "${2:-}" = v6 ] && tunnel_ping $NS_CLI fd00:66::1
	return 0
}

sc_wg_clean() {
	wg_lab plain 51820
	cap_start $NS_CLI cli0
	wg_up 51820 v6
	phase
	q_udp 10.66.0.2 10.66.0.1 www.example.com A tunnel ok tunnel "dig A through the tunnel to its resolver"
	q_udp 10.66.0.2 10.66.0.1 www.example.com AAAA tunnel ok tunnel "dig AAAA through the tunnel to its resolver"
	q_udp fd00:66::2 fd00:66::1 mail.example.com AAAA tunnel ok tunnel "dig over IPv6 inside the tunnel to its IPv6 resolver"
	q_tcp 10.66.0.2 10.66.0.1 api.example.org A tunnel ok tunnel "kdig +tcp through the tunnel"
	cap_stop
	{ xml_head; xml_wg lab-wg 51820 yes; echo '</tunnels>'; } >"$OUT/tunnel.xml"
}

sc_wg_split() {
	wg_lab plain 51820
	cap_start $NS_CLI cli0
	wg_up 51820 v6
	phase
	q_udp 10.66.0.2 10.66.0.1 www.example.com A tunnel ok tunnel "inside to the tunnel resolver"
	q_udp 192.168.1.10 192.168.1.1 intranet.corp.example A outside allowed allowed "LAN resolver (on-link); covered by allow suffix corp.example"
	q_udp 192.168.1.10 192.168.1.1 shop.example.org A outside leak split-tunnel "LAN resolver while the tunnel is up, not allowed"
	q_udp 10.66.0.2 10.66.0.1 git.example.com AAAA tunnel ok tunnel "inside to the tunnel resolver"
	q_udp 192.168.1.10 192.168.1.1 news.example.com AAAA outside leak split-tunnel "LAN resolver while the tunnel is up, not allowed"
	q_udp 192.168.1.10 192.168.1.1 wiki.corp.example AAAA outside allowed allowed "LAN resolver; below allow suffix corp.example"
	cap_stop
	{
		xml_head
		xml_wg lab-wg 51820 yes
		cat <<'EOF'
  <allow>
    <name suffix="corp.example" reason="split DNS: the office intranet is resolved by the LAN resolver"/>
  </allow>
</tunnels>
EOF
	} >"$OUT/tunnel.xml"
}

sc_wg_ipv6_leak() {
	wg_lab plain 51820
	cap_start $NS_CLI cli0
	wg_up 51820 # IPv4 only: the client keeps its IPv6 default route via the LAN
	phase
	q_udp 10.66.0.2 10.66.0.1 www.example.com A tunnel ok tunnel "IPv4 inside the tunnel"
	q_udp fd00:1::10 fd00:1::1 mail.example.com AAAA outside leak ipv6-outside "LAN resolver over IPv6; the tunnel carries IPv4 only"
	q_udp fd00:1::10 fd00:1::1 api.example.org A outside leak ipv6-outside "A question over IPv6 transport to the LAN resolver"
	q_tcp fd00:1::10 fd00:1::1 shop.example.org AAAA outside leak ipv6-outside "kdig +tcp over IPv6 to the LAN resolver"
	cap_stop
	{
		xml_head
		cat <<'EOF'
  <tunnel name="lab-wg" kind="wireguard" ipv4="true" ipv6="false">
    <endpoint address="203.0.113.5" port="51820" transport="udp"/>
    <inside prefix="10.66.0.2/32"/>
    <resolver address="10.66.0.1" port="53"/>
    <interface tunnel="lswg-c0" physical="cli0"/>
  </tunnel>
</tunnels>
EOF
	} >"$OUT/tunnel.xml"
}

sc_wg_killswitch() {
	wg_lab plain 51820
	cap_start $NS_CLI cli0
	wg_up 51820 v6
	phase
	q_udp 10.66.0.2 10.66.0.1 www.example.com A tunnel ok tunnel "inside while the tunnel is up"
	q_udp 10.66.0.2 10.66.0.1 mail.example.com A tunnel ok tunnel "inside while the tunnel is up"
	phase
	# The tunnel drops: wireguard-go stops, its interface disappears, the
	# routes through it go with it; the OS falls back to the LAN.
	stop_pid "$PID_lswg_c0"
	nsx $NS_CLI ip route replace default via 192.168.1.1
	nsx $NS_CLI ip -6 route replace default via fd00:1::1
	sleep 4
	q_udp 192.168.1.10 192.168.1.1 www.example.com A outside leak kill-switch "after the tunnel dropped, to the LAN resolver"
	q_udp 192.168.1.10 192.168.1.1 news.example.com AAAA outside leak kill-switch "after the tunnel dropped, to the LAN resolver"
	q_tcp 192.168.1.10 192.168.1.1 api.example.org A outside leak kill-switch "after the tunnel dropped, kdig +tcp to the LAN resolver"
	cap_stop
	{ xml_head; xml_wg lab-wg 51820 yes; echo '</tunnels>'; } >"$OUT/tunnel.xml"
}

sc_wg_bootstrap() {
	wg_lab plain 51820
	cap_start $NS_CLI cli0
	q_udp 192.168.1.10 192.168.1.1 vpn.example.net A outside allowed allowed "the VPN endpoint's name before the tunnel is up; allow exact"
	q_udp 192.168.1.10 192.168.1.1 vpn.example.net AAAA outside allowed allowed "the VPN endpoint's name (AAAA); allow exact"
	q_udp 192.168.1.10 192.168.1.1 www.example.com A outside leak bootstrap "before the tunnel came up, not allowed"
	phase
	wg_up 51820 v6
	phase
	q_udp 10.66.0.2 10.66.0.1 mail.example.com A tunnel ok tunnel "after the tunnel came up, inside"
	q_udp 10.66.0.2 10.66.0.1 mail.example.com AAAA tunnel ok tunnel "after the tunnel came up, inside"
	cap_stop
	{
		xml_head
		xml_wg lab-wg 51820 yes
		cat <<'EOF'
  <allow>
    <name exact="vpn.example.net" reason="the endpoint's own name, looked up to bring the tunnel up"/>
  </allow>
</tunnels>
EOF
	} >"$OUT/tunnel.xml"
}

sc_wg_parallel() {
	wg_lab plain 51820
	cap_start $NS_CLI cli0
	wg_up 51820 v6
	phase
	# A multihomed resolver setup asks every interface at once: the same
	# question inside and outside a few ms apart.
	local p1 p2 rc=0
	printf '\n$ parallel dig www.example.com A\n' >>"$LOGD/clients.log"
	nsx $NS_CLI dig +time=2 +tries=1 -b 10.66.0.2 @10.66.0.1 www.example.com A >>"$LOGD/clients.log" 2>&1 &
	p1=$!
	sleep 0.005
	nsx $NS_CLI dig +time=2 +tries=1 -b 192.168.1.10 @192.168.1.1 www.example.com A >>"$LOGD/clients.log" 2>&1 &
	p2=$!
	wait $p1 || rc=$?
	wait $p2 || rc=$?
	[ $rc -eq 0 ] || die "parallel dig failed"
	truth dns-udp 10.66.0.2 10.66.0.1 53 www.example.com A - tunnel ok tunnel "inside; the same question went outside ~5 ms later"
	truth dns-udp 192.168.1.10 192.168.1.1 53 www.example.com A - outside leak parallel-multihomed "same name as the inside query ~5 ms earlier"
	sleep 3
	q_udp 192.168.1.10 192.168.1.1 www.example.com A outside leak split-tunnel "same name again outside but ~3 s after the inside one: not parallel"
	sleep 1
	q_udp 10.66.0.2 10.66.0.1 mail.example.com AAAA tunnel ok tunnel "inside"
	sleep 0.2
	q_udp 192.168.1.10 192.168.1.1 mail.example.com AAAA outside leak split-tunnel "same name and type as the inside query ~0.5 s earlier, after its answer: sequential, not parallel"
	cap_stop
	{ xml_head; xml_wg lab-wg 51820 yes; echo '</tunnels>'; } >"$OUT/tunnel.xml"
}

sc_doh_outside() {
	wg_lab plain 51820
	cap_start $NS_CLI cli0
	wg_up 51820 v6
	# The public resolver is excluded from the tunnel (a split-tunnel route).
	nsx $NS_CLI ip route add 198.51.100.53/32 via 192.168.1.1 dev cli0 src 192.168.1.10
	phase
	q_udp 10.66.0.2 10.66.0.1 www.example.com A tunnel ok tunnel "inside, for contrast"
	q_doh_curl 192.168.1.10 198.51.100.53 cloudflare-dns.com www.example.com outside leak encrypted-outside "curl --doh-url (POST, HTTP/2), resolves www.example.com A; outside the tunnel"
	q_doh_get 192.168.1.10 198.51.100.53 dns.google mail.example.com A outside leak encrypted-outside "kdig +https-get (GET ?dns=); outside the tunnel"
	cap_stop
	{ xml_head; xml_wg lab-wg 51820 yes; echo '</tunnels>'; } >"$OUT/tunnel.xml"
}

sc_doh_inside() {
	wg_lab plain 51820
	cap_start $NS_CLI cli0
	wg_up 51820 v6
	phase
	q_doh_curl 10.66.0.2 198.51.100.53 cloudflare-dns.com www.example.com tunnel ok resolver-bypass "curl --doh-url through the tunnel to a public DoH resolver, not the tunnel's"
	q_doh_get 10.66.0.2 198.51.100.53 dns.google mail.example.com A tunnel ok resolver-bypass "kdig +https-get through the tunnel to a public DoH resolver"
	q_udp 10.66.0.2 198.51.100.53 api.example.org A tunnel ok resolver-bypass "dig through the tunnel to the public resolver's port 53"
	cap_stop
	{ xml_head; xml_wg lab-wg 51820 yes; echo '</tunnels>'; } >"$OUT/tunnel.xml"
}

sc_dot_outside() {
	wg_lab plain 51820
	cap_start $NS_CLI cli0
	wg_up 51820 v6
	nsx $NS_CLI ip route add 198.51.100.53/32 via 192.168.1.1 dev cli0 src 192.168.1.10
	phase
	q_dot 192.168.1.10 198.51.100.53 dns.google www.example.com A outside leak encrypted-outside "kdig +tls (certificate verified) outside the tunnel"
	q_dot 192.168.1.10 198.51.100.53 cloudflare-dns.com shop.example.org AAAA outside leak encrypted-outside "kdig +tls, other SNI, outside the tunnel"
	q_udp 10.66.0.2 10.66.0.1 www.example.com A tunnel ok tunnel "inside, for contrast"
	cap_stop
	{ xml_head; xml_wg lab-wg 51820 yes; echo '</tunnels>'; } >"$OUT/tunnel.xml"
}

sc_dns_tcp_multi() {
	wg_lab plain 51820
	cap_start $NS_CLI cli0
	wg_up 51820 v6
	phase
	q_tcp_multi 192.168.1.10 192.168.1.1 A outside leak split-tunnel "dig +tcp +keepopen: three questions on one TCP connection to the LAN resolver" \
		www.example.com mail.example.com shop.example.org
	q_tcp_multi 10.66.0.2 10.66.0.1 A tunnel ok tunnel "dig +tcp +keepopen: two questions on one TCP connection inside" \
		api.example.org news.example.com
	cap_stop
	{ xml_head; xml_wg lab-wg 51820 yes; echo '</tunnels>'; } >"$OUT/tunnel.xml"
}

sc_wg_resolver_routed_outside() {
	wg_lab plain 51820
	cap_start $NS_CLI cli0
	wg_up 51820 v6
	# A stale or wrong host route sends the tunnel resolver's address out the
	# physical interface; the router forwards it to the VPN server, which
	# answers from that address in cleartext.
	nsx $NS_CLI ip route add 10.66.0.1/32 via 192.168.1.1 dev cli0 src 192.168.1.10
	phase
	q_udp 192.168.1.10 10.66.0.1 www.example.com A outside leak tunnel-resolver-outside "tunnel resolver address reached via cli0 in cleartext"
	q_tcp 192.168.1.10 10.66.0.1 mail.example.com A outside leak tunnel-resolver-outside "kdig +tcp to the tunnel resolver address via cli0"
	q_udp fd00:66::2 fd00:66::1 www.example.com AAAA tunnel ok tunnel "the IPv6 tunnel resolver, still inside"
	cap_stop
	{ xml_head; xml_wg lab-wg 51820 yes; echo '</tunnels>'; } >"$OUT/tunnel.xml"
}

sc_local_link() {
	wg_lab plain 51820
	cap_start $NS_CLI cli0
	wg_up 51820 v6
	phase
	q_ll mdns 192.168.1.10 cli0 224.0.0.251 printer.local A "mDNS one-shot query on cli0"
	q_ll mdns fe80::10 cli0 ff02::fb printer.local AAAA "mDNS over IPv6 on cli0"
	q_ll llmnr 192.168.1.10 cli0 224.0.0.252 fileserver A "LLMNR on cli0"
	q_ll llmnr fe80::10 cli0 ff02::1:3 fileserver AAAA "LLMNR over IPv6 on cli0"
	q_nbns 192.168.1.10 192.168.1.255 FILESERVER 20 "NetBIOS-NS broadcast name query on cli0"
	q_udp 10.66.0.2 10.66.0.1 fileserver.corp.example A tunnel ok tunnel "inside, for contrast"
	cap_stop
	{ xml_head; xml_wg lab-wg 51820 yes; echo '</tunnels>'; } >"$OUT/tunnel.xml"
}

# ovpn NAME IFACE SERVERPROTO CLIENTPROTO PORT NET.x TRANSPORT [midsession]
ovpn_scenario() {
	local name=$1 sif=$2 cif=$3 sproto=$4 cproto=$5 port=$6 net=$7 transport=$8 mid=${9:-}
	lab_up plain
	ovpn_server "$name-srv" "$sif" "$sproto" "$port" "$net.0"
	tun_dns $NS_VPN "$net.1"
	[ -n "$mid" ] || cap_start $NS_CLI cli0
	ovpn_client "$name-cli" "$cif" "$cproto" "$port"
	nsx $NS_CLI ip -4 addr show dev "$cif" | grep -q "inet $net.2/" || die "$name: client did not get $net.2"
	full_tunnel $NS_CLI "$cif" "$net.1" 203.0.113.5 192.168.1.1
	nsx $NS_CLI ping -n -c 1 -W 2 "$net.1" >/dev/null || die "$name: no ping through the tunnel"
	if [ -n "$mid" ]; then
		# mid-session: the capture starts once the tunnel is up (no hard
		# reset, no TLS handshake in it: data channel and pings only)
		cap_start $NS_CLI cli0
		nsx $NS_CLI ping -n -c 1 -W 2 "$net.1" >/dev/null || die "$name: no ping through the tunnel"
	fi
	phase
	q_udp "$net.2" "$net.1" www.example.com A tunnel ok tunnel "inside the OpenVPN tunnel to its resolver"
	q_udp "$net.2" "$net.1" www.example.com AAAA tunnel ok tunnel "inside the OpenVPN tunnel to its resolver"
	q_tcp "$net.2" "$net.1" api.example.org A tunnel ok tunnel "kdig +tcp inside the OpenVPN tunnel"
	q_udp 192.168.1.10 192.168.1.1 shop.example.org A outside leak split-tunnel "LAN resolver while the OpenVPN tunnel is up"
	cap_stop
	{
		xml_head
		cat <<EOF
  <tunnel name="$name" kind="openvpn">
    <endpoint address="203.0.113.5" port="$port" transport="$transport"/>
    <inside prefix="$net.2/32"/>
    <resolver address="$net.1" port="53"/>
    <interface tunnel="$cif" physical="cli0"/>
  </tunnel>
</tunnels>
EOF
	} >"$OUT/tunnel.xml"
}

sc_ovpn_udp() { ovpn_scenario ovpn-udp lsovpn-s0 lsovpn-c0 udp4 udp4 1194 10.8.0 udp; }
sc_ovpn_tcp() { ovpn_scenario ovpn-tcp lsovpn-s1 lsovpn-c1 tcp4-server tcp4-client 443 10.9.0 tcp; }
sc_ovpn_midsession() { ovpn_scenario ovpn-midsession lsovpn-s0 lsovpn-c0 udp4 udp4 1194 10.8.0 udp midsession; }

sc_vlan() {
	wg_lab vlan 51820
	# phys.pcap is taken on the parent cli0, so every frame carries its
	# 802.1Q tag (VLAN 100); the IP addresses live on cli0.100.
	cap_start $NS_CLI cli0
	wg_up 51820 v6
	phase
	q_udp 10.66.0.2 10.66.0.1 www.example.com A tunnel ok tunnel "inside the tunnel; carrier on VLAN 100"
	q_tcp 10.66.0.2 10.66.0.1 mail.example.com AAAA tunnel ok tunnel "kdig +tcp inside the tunnel"
	q_udp 192.168.1.10 192.168.1.1 shop.example.org A outside leak split-tunnel "LAN resolver on VLAN 100 while the tunnel is up"
	q_udp fd00:1::10 fd00:1::1 news.example.com A outside leak split-tunnel "LAN resolver over IPv6 on VLAN 100 (the tunnel carries IPv6 too)"
	cap_stop
	{
		xml_head
		echo "  <!-- client addresses on cli0.100 (VLAN 100 on cli0); captured on cli0; $VLAN_IMPL -->"
		xml_wg lab-wg 51820 yes cli0
		echo '</tunnels>'
	} >"$OUT/tunnel.xml"
}

sc_gateway_two_clients() {
	lab_up gateway
	wg_keys lswg-s0 lswg-s1 lswg-c0 lswg-c1
	wg_server lswg-s0 51820 10.66.0.1/24
	wg_server lswg-s1 51821 10.67.0.1/24
	tun_dns $NS_VPN 10.66.0.1 10.67.0.1
	# The capture point is the router's LAN bridge: both clients' frames,
	# each with its own MAC (02:00:00:00:01:0a and :0b).
	cap_start $NS_RTR br0
	wg_client $NS_CLI lswg-c0 lswg-s0 203.0.113.5:51820 40001 10.66.0.2/32
	full_tunnel $NS_CLI lswg-c0 "" 203.0.113.5 192.168.1.1
	tunnel_ping $NS_CLI 10.66.0.1
	wg_client $NS_CLI2 lswg-c1 lswg-s1 203.0.113.5:51821 40002 10.67.0.2/32
	full_tunnel $NS_CLI2 lswg-c1 "" 203.0.113.5 192.168.1.1
	tunnel_ping $NS_CLI2 10.67.0.1
	phase
	q_udp 10.66.0.2 10.66.0.1 www.example.com A tunnel ok tunnel "client 1 inside its tunnel (only the carrier is visible at the router)"
	CNS=$NS_CLI2
	q_udp 10.67.0.2 10.67.0.1 mail.example.com A tunnel ok tunnel "client 2 inside its tunnel (only the carrier is visible at the router)"
	q_udp 192.168.1.11 192.168.1.1 shop.example.org A outside leak split-tunnel "client 2 leaks to the LAN resolver"
	q_udp 192.168.1.11 192.168.1.1 news.example.com AAAA outside leak split-tunnel "client 2 leaks to the LAN resolver"
	CNS=$NS_CLI
	q_udp 10.66.0.2 10.66.0.1 api.example.org A tunnel ok tunnel "client 1 inside its tunnel"
	cap_stop
	cat >"$OUT/tunnel.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<tunnels xmlns="urn:leakscope:tunnel:1">
  <!-- captured on the router's LAN bridge br0: no interface element, the
       tunnel interfaces live on the clients -->
  <tunnel name="client1-wg" kind="wireguard">
    <endpoint address="203.0.113.5" port="51820" transport="udp"/>
    <inside prefix="10.66.0.2/32"/>
    <resolver address="10.66.0.1" port="53"/>
  </tunnel>
  <tunnel name="client2-wg" kind="wireguard">
    <endpoint address="203.0.113.5" port="51821" transport="udp"/>
    <inside prefix="10.67.0.2/32"/>
    <resolver address="10.67.0.1" port="53"/>
  </tunnel>
</tunnels>
EOF
}

sc_gateway_novpn() {
	lab_up gateway3
	wg_keys lswg-s0 lswg-s1 lswg-c0 lswg-c1
	wg_server lswg-s0 51820 10.66.0.1/24
	wg_server lswg-s1 51821 10.67.0.1/24
	tun_dns $NS_VPN 10.66.0.1 10.67.0.1
	# The capture point is the router's LAN bridge: three hosts' frames
	# (MACs 02:00:00:00:01:0a, :0b, :0c); the third has no VPN.
	cap_start $NS_RTR br0
	wg_client $NS_CLI lswg-c0 lswg-s0 203.0.113.5:51820 40001 10.66.0.2/32
	full_tunnel $NS_CLI lswg-c0 "" 203.0.113.5 192.168.1.1
	tunnel_ping $NS_CLI 10.66.0.1
	wg_client $NS_CLI2 lswg-c1 lswg-s1 203.0.113.5:51821 40002 10.67.0.2/32
	full_tunnel $NS_CLI2 lswg-c1 "" 203.0.113.5 192.168.1.1
	tunnel_ping $NS_CLI2 10.67.0.1
	phase
	q_udp 10.66.0.2 10.66.0.1 www.example.com A tunnel ok tunnel "client 1 inside its tunnel (only the carrier is visible at the router)"
	CNS=$NS_CLI3
	q_udp 192.168.1.12 192.168.1.1 www.example.com A outside - no-tunnel "host 3 has no VPN: it uses the LAN resolver, as it should; not a leak (the description does not require every host to be tunnelled)"
	CNS=$NS_CLI2
	q_udp 10.67.0.2 10.67.0.1 mail.example.com A tunnel ok tunnel "client 2 inside its tunnel"
	q_udp 192.168.1.11 192.168.1.1 shop.example.org A outside leak split-tunnel "client 2 leaks to the LAN resolver"
	CNS=$NS_CLI3
	q_udp 192.168.1.12 192.168.1.1 news.example.com AAAA outside - no-tunnel "host 3 (no VPN), AAAA to the LAN resolver"
	q_tcp 192.168.1.12 192.168.1.1 api.example.org A outside - no-tunnel "host 3 (no VPN), kdig +tcp to the LAN resolver"
	q_udp fd00:1::12 fd00:1::1 mail.example.com A outside - no-tunnel "host 3 (no VPN), over IPv6 to the LAN resolver"
	CNS=$NS_CLI
	q_udp 10.66.0.2 10.66.0.1 api.example.org A tunnel ok tunnel "client 1 inside its tunnel"
	cap_stop
	cat >"$OUT/tunnel.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<tunnels xmlns="urn:leakscope:tunnel:1">
  <!-- captured on the router's LAN bridge br0: no interface element, the
       tunnel interfaces live on the clients.  Host 3 (192.168.1.12,
       02:00:00:00:01:0c) has no VPN and is not described: nothing here
       says every host must be tunnelled. -->
  <tunnel name="client1-wg" kind="wireguard">
    <endpoint address="203.0.113.5" port="51820" transport="udp"/>
    <inside prefix="10.66.0.2/32"/>
    <resolver address="10.66.0.1" port="53"/>
  </tunnel>
  <tunnel name="client2-wg" kind="wireguard">
    <endpoint address="203.0.113.5" port="51821" transport="udp"/>
    <inside prefix="10.67.0.2/32"/>
    <resolver address="10.67.0.1" port="53"/>
  </tunnel>
</tunnels>
EOF
}

sc_sll1_any() {
	# The wg-split setup, but any.pcap in Linux cooked v1 (tcpdump -y
	# LINUX_SLL): no interface index or name, only each packet's ARPHRD
	# type (65534 ARPHRD_NONE for the TUN device lswg-c0, 1 for cli0, 772
	# for lo) tells the tunnel from the physical interface.
	ANY_DLT=LINUX_SLL
	wg_lab plain 51820
	cap_start $NS_CLI cli0
	wg_up 51820 v6
	phase
	q_udp 10.66.0.2 10.66.0.1 www.example.com A tunnel ok tunnel "inside (SLL v1: ARPHRD 65534, the TUN device)"
	q_udp fd00:66::2 fd00:66::1 mail.example.com AAAA tunnel ok tunnel "inside over IPv6"
	q_tcp 10.66.0.2 10.66.0.1 api.example.org A tunnel ok tunnel "kdig +tcp inside"
	q_udp 192.168.1.10 192.168.1.1 shop.example.org A outside leak split-tunnel "LAN resolver while the tunnel is up (SLL v1: ARPHRD 1, cli0)"
	cap_stop
	ANY_DLT=LINUX_SLL2
	{
		xml_head
		echo '  <!-- any.pcap is Linux cooked v1 (LINUX_SLL): no interface names in it -->'
		xml_wg lab-wg 51820 yes
		echo '</tunnels>'
	} >"$OUT/tunnel.xml"
}

sc_wg_over_53() {
	lab_up plain
	mkns $NS_VPNIN
	wg_keys lswg-s0 lswg-c0
	# WireGuard listens on UDP 53 (a common trick to pass captive portals).
	# wireguard-go binds the wildcard :53 in the server namespace, so the
	# tunnel resolver cannot share it: the tunnel interface is moved into a
	# second namespace (the tun fd stays with wireguard-go, which notices the
	# state across namespaces) and the resolver binds 10.66.0.1:53 there.
	wg_start $NS_VPN lswg-s0
	nsx $NS_VPN wg set lswg-s0 listen-port 53 private-key "$TMP/keys/lswg-s0.key"
	ip -n $NS_VPN link set lswg-s0 netns $NS_VPNIN
	nsx $NS_VPNIN ip addr add 10.66.0.1/24 dev lswg-s0
	nsx $NS_VPNIN ip addr add fd00:66::1/64 dev lswg-s0 nodad
	nsx $NS_VPNIN ip link set lswg-s0 up
	tun_dns $NS_VPNIN 10.66.0.1 fd00:66::1
	cap_start $NS_CLI cli0
	wg_up 53 v6
	phase
	q_udp 10.66.0.2 10.66.0.1 www.example.com A tunnel ok tunnel "inside a WireGuard carrier on UDP 53"
	q_udp 10.66.0.2 10.66.0.1 www.example.com AAAA tunnel ok tunnel "inside a WireGuard carrier on UDP 53"
	q_udp fd00:66::2 fd00:66::1 mail.example.com A tunnel ok tunnel "IPv6 inside a WireGuard carrier on UDP 53"
	q_tcp 10.66.0.2 10.66.0.1 api.example.org A tunnel ok tunnel "kdig +tcp inside a WireGuard carrier on UDP 53"
	cap_stop
	{ xml_head; xml_wg lab-wg 53 yes; echo '</tunnels>'; } >"$OUT/tunnel.xml"
}

# ipsec_lab: the lab, both charons with their configuration loaded (no SA
# yet); ipsec_up: the client initiates (IKE_SA_INIT, IKE_AUTH with the
# CHILD_SA), gets 10.70.0.2 on ipsec0 and pings the resolver through the SA.
ipsec_lab() {
	lab_up plain
	local psk
	psk=$(openssl rand -hex 24)
	# The tunnel resolver lives on the server's loopback at 10.70.0.1,
	# reachable only through the tunnel (the traffic selector 10.70.0.0/24).
	nsx $NS_VPN ip addr add 10.70.0.1/32 dev lo
	sw_start $NS_VPN srv
	cat >"$TMP/sw-srv/swanctl.conf" <<EOF
connections {
	lab {
		version = 2
		local_addrs = 203.0.113.5
		proposals = aes256-sha256-modp2048
		pools = lab
		local { auth = psk
			id = vpn.example.net }
		remote { auth = psk
			id = client1.lab.example }
		children { lab { local_ts = 10.70.0.0/24
			esp_proposals = aes256-sha256 } }
	}
}
pools { lab { addrs = 10.70.0.2-10.70.0.2 } }
secrets { ike-lab { id-1 = vpn.example.net
	id-2 = client1.lab.example
	secret = "$psk" } }
EOF
	sw_ctl $NS_VPN srv --load-all --file "$TMP/sw-srv/swanctl.conf" >>"$LOGD/swanctl.log" 2>&1
	tun_dns $NS_VPN 10.70.0.1
	sw_start $NS_CLI cli
	cat >"$TMP/sw-cli/swanctl.conf" <<EOF
connections {
	lab {
		version = 2
		local_addrs = 192.168.1.10
		remote_addrs = 203.0.113.5
		encap = yes
		vips = 0.0.0.0
		proposals = aes256-sha256-modp2048
		local { auth = psk
			id = client1.lab.example }
		remote { auth = psk
			id = vpn.example.net }
		children { lab { remote_ts = 10.70.0.0/24
			esp_proposals = aes256-sha256 } }
	}
}
secrets { ike-lab { id-1 = vpn.example.net
	id-2 = client1.lab.example
	secret = "$psk" } }
EOF
	sw_ctl $NS_CLI cli --load-all --file "$TMP/sw-cli/swanctl.conf" >>"$LOGD/swanctl.log" 2>&1
}

ipsec_up() {
	sw_ctl $NS_CLI cli --initiate --child lab --timeout 20 >>"$LOGD/swanctl.log" 2>&1 ||
		die "strongSwan: IKE/CHILD SA not established (see $LOGD/swanctl.log)"
	nsx $NS_CLI ip -4 addr show dev ipsec0 | grep -q "inet 10.70.0.2/" || die "strongSwan: no virtual IP 10.70.0.2 on ipsec0"
	nsx $NS_CLI ping -n -c 1 -W 2 10.70.0.1 >/dev/null || die "strongSwan: no ping through the tunnel"
}

# ipsec_xml [endpoint ports...]: the description (the ports of the carrier)
ipsec_xml() {
	local p
	xml_head
	cat <<'EOF'
  <!-- strongSwan IKEv2, NAT-T forced (encap = yes): IKE_SA_INIT on UDP 500,
       then IKE and ESP-in-UDP on 4500; traffic selector 10.70.0.0/24 only
       (split tunnel), virtual IP 10.70.0.2 on the TUN device ipsec0
       (kernel-libipsec) -->
  <tunnel name="lab-ipsec" kind="ipsec" ipv6="false">
EOF
	for p in "$@"; do echo "    <endpoint address=\"203.0.113.5\" port=\"$p\" transport=\"udp\"/>"; done
	cat <<'EOF'
    <inside prefix="10.70.0.2/32"/>
    <resolver address="10.70.0.1" port="53"/>
    <interface tunnel="ipsec0" physical="cli0"/>
  </tunnel>
</tunnels>
EOF
}

ipsec_inside() {
	q_udp 10.70.0.2 10.70.0.1 www.example.com A tunnel ok tunnel "inside the IPsec tunnel (ESP in UDP 4500) to its resolver"
	q_udp 10.70.0.2 10.70.0.1 www.example.com AAAA tunnel ok tunnel "inside the IPsec tunnel to its resolver"
	q_tcp 10.70.0.2 10.70.0.1 api.example.org A tunnel ok tunnel "kdig +tcp inside the IPsec tunnel"
}

sc_ipsec_strongswan() {
	ipsec_lab
	cap_start $NS_CLI cli0
	ipsec_up
	phase
	ipsec_inside
	q_udp 192.168.1.10 192.168.1.1 shop.example.org A outside leak split-tunnel "LAN resolver while the SA is up: 192.168.1.1 is outside the traffic selector 10.70.0.0/24"
	cap_stop
	ipsec_xml 500 4500 >"$OUT/tunnel.xml"
}

# The capture starts after the SAs are up: no IKE exchange in it, only
# ESP-in-UDP on 4500 (a capture started mid-session).
sc_ipsec_midsession() {
	ipsec_lab
	ipsec_up
	cap_start $NS_CLI cli0
	nsx $NS_CLI ping -n -c 1 -W 2 10.70.0.1 >/dev/null || die "strongSwan: no ping through the tunnel"
	phase
	ipsec_inside
	q_udp 192.168.1.10 192.168.1.1 shop.example.org A outside leak split-tunnel "LAN resolver while the SA is up (outside the traffic selector)"
	cap_stop
	ipsec_xml 4500 >"$OUT/tunnel.xml"
}

# The SA is deleted (swanctl --terminate: IKE INFORMATIONAL DELETE on 4500,
# answered; the virtual IP and the routes go), then the client asks the LAN
# resolver: the tunnel is down, as in wg-killswitch (~4 s of silence).
sc_ipsec_killswitch() {
	ipsec_lab
	cap_start $NS_CLI cli0
	ipsec_up
	phase
	q_udp 10.70.0.2 10.70.0.1 www.example.com A tunnel ok tunnel "inside while the SA is up"
	q_udp 10.70.0.2 10.70.0.1 mail.example.com A tunnel ok tunnel "inside while the SA is up"
	q_udp 192.168.1.10 192.168.1.1 shop.example.org A outside leak split-tunnel "LAN resolver while the SA is up (outside the traffic selector)"
	phase
	sw_ctl $NS_CLI cli --terminate --ike lab --timeout 10 >>"$LOGD/swanctl.log" 2>&1 ||
		die "strongSwan: terminate failed"
	! nsx $NS_CLI ip -4 addr show dev ipsec0 | grep -q "inet 10.70.0.2/" || die "strongSwan: virtual IP still there after terminate"
	sleep 4
	q_udp 192.168.1.10 192.168.1.1 www.example.com A outside leak kill-switch "after the SA was deleted (IKE DELETE in the capture), to the LAN resolver"
	q_tcp 192.168.1.10 192.168.1.1 news.example.com AAAA outside leak kill-switch "after the SA was deleted, kdig +tcp to the LAN resolver"
	cap_stop
	ipsec_xml 500 4500 >"$OUT/tunnel.xml"
}

# q_socks_local CLIENT RESOLVER URLNAME NOTE: curl --socks5 resolves the name
# itself (the system resolver: the LAN resolver here), then asks the proxy
# for the address.  -4: one A question.
q_socks_local() {
	client curl -sS -4 --max-time 5 --socks5 127.0.0.1:1080 -o /dev/null "http://$3/"
	truth dns-udp "$1" "$2" 53 "$3" A - outside leak proxy-local-resolution "$4"
}

# q_socks_remote NAME NOTE: curl --socks5-hostname hands the name to the
# proxy (SOCKS5 CONNECT, address type 3 = domain name, on lo); ssh carries it
# to the server, whose resolver answers: no DNS question from the client.
q_socks_remote() {
	client curl -sS --max-time 5 --socks5-hostname 127.0.0.1:1080 -o /dev/null "http://$1/"
	truth socks5 127.0.0.1 127.0.0.1 1080 "$1" - - tunnel ok tunnel "$2"
}

sc_ssh_socks() {
	lab_up plain
	# The client's system resolver is the LAN resolver in this scenario
	# (curl --socks5 resolves locally through it).
	echo "nameserver 192.168.1.1" >/etc/netns/$NS_CLI/resolv.conf
	# The server side: its own resolver (10.66.0.1 on its loopback, the
	# tunnel-side resolver of this setup) and the web server the names
	# point to (192.0.2.80 / 2001:db8::80 on its loopback).
	mkdir -p /etc/netns/$NS_VPN
	echo "nameserver 10.66.0.1" >/etc/netns/$NS_VPN/resolv.conf
	nsx $NS_VPN ip addr add 10.66.0.1/32 dev lo
	nsx $NS_VPN ip addr add 192.0.2.80/32 dev lo
	nsx $NS_VPN ip addr add 2001:db8::80/128 dev lo nodad
	tun_dns $NS_VPN 10.66.0.1
	mkdir -p "$TMP/www"
	echo "leakscope lab" >"$TMP/www/index.html"
	bg $NS_VPN "$LOGD/http.log" $PY -m http.server --directory "$TMP/www" --bind :: 80
	wait_until "http server" 50 grep -q "Serving HTTP" "$LOGD/http.log"
	ssh_server
	cap_start $NS_CLI cli0
	ssh_socks
	phase
	q_socks_remote mail.example.com "curl --socks5-hostname: the name goes to ssh -D in the SOCKS5 CONNECT on lo, then inside SSH; the server resolves it (its resolver, not in this capture)"
	q_socks_local 192.168.1.10 192.168.1.1 www.example.com "curl --socks5 resolves the name itself through the LAN resolver, then asks the proxy for 192.0.2.80: proxy client's local resolution (a cause leakscope does not name yet)"
	q_socks_remote api.example.org "curl --socks5-hostname again: no DNS question on the client"
	cap_stop
	{
		xml_head
		cat <<'EOF'
  <!-- OpenSSH dynamic forwarding (ssh -D 127.0.0.1:1080 -N), key auth; no
       tunnel interface and no inside address: the SOCKS proxy listens on
       the client's loopback.  -->
  <tunnel name="lab-ssh" kind="ssh">
    <endpoint address="203.0.113.5" port="22" transport="tcp"/>
    <interface physical="cli0"/>
  </tunnel>
</tunnels>
EOF
	} >"$OUT/tunnel.xml"
}

sc_openconnect_ocserv() {
	lab_up plain
	oc_server
	cap_start $NS_CLI cli0
	oc_client lsoc-c0
	[ "$(cat "$TMP/oc/client-addr")" = "$OC_ADDR" ] ||
		die "ocserv gave $(cat "$TMP/oc/client-addr"), expected $OC_ADDR"
	full_tunnel $NS_CLI lsoc-c0 "" 203.0.113.5 192.168.1.1
	# The resolver binds the server's end of the point-to-point link, which
	# exists only once a client is connected.
	tun_dns $NS_VPN 10.72.0.1
	nsx $NS_CLI ping -n -c 1 -W 2 10.72.0.1 >/dev/null || die "openconnect: no ping through the tunnel"
	phase
	q_udp $OC_ADDR 10.72.0.1 www.example.com A tunnel ok tunnel "inside the OpenConnect tunnel (DTLS on UDP 443) to its resolver"
	q_udp $OC_ADDR 10.72.0.1 mail.example.com AAAA tunnel ok tunnel "inside the OpenConnect tunnel to its resolver"
	q_tcp $OC_ADDR 10.72.0.1 api.example.org A tunnel ok tunnel "kdig +tcp inside the OpenConnect tunnel"
	q_udp 192.168.1.10 192.168.1.1 shop.example.org A outside leak split-tunnel "LAN resolver (on-link) while the OpenConnect tunnel is up"
	cap_stop
	{
		xml_head
		cat <<EOF
  <!-- ocserv $(ocserv --version 2>&1 | head -n 1 | cut -d' ' -f2) / openconnect (AnyConnect protocol): CSTP over TLS on TCP 443
       (authentication, then the fallback channel), data over DTLS on UDP 443 -->
  <tunnel name="lab-openconnect" kind="openconnect" ipv6="false">
    <endpoint address="203.0.113.5" port="443" transport="tcp"/>
    <endpoint address="203.0.113.5" port="443" transport="udp"/>
    <inside prefix="$OC_ADDR/32"/>
    <resolver address="10.72.0.1" port="53"/>
    <interface tunnel="lsoc-c0" physical="cli0"/>
  </tunnel>
</tunnels>
EOF
	} >"$OUT/tunnel.xml"
}

# ---------------------------------------------------------------- main

versions() {
	{
		echo "# Software that made the captures in samples/ (written by samples/lab/run.sh)"
		echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
		echo "kernel: $(uname -sr)"
		echo "wireguard-go: $(wireguard-go --version 2>&1 | head -n 1)"
		echo "wireguard-tools: $(dpkg-query -W -f='${Version}' wireguard-tools)"
		echo "openvpn: $(openvpn --version 2>&1 | head -n 1)"
		echo "dnsmasq: $(dnsmasq --version | head -n 1)"
		echo "unbound: $(unbound -V | head -n 1) ($(unbound -V | grep -o 'with-libnghttp2' || true))"
		echo "kdig: $(kdig --version 2>&1 | head -n 1)"
		echo "dig: $(dig -v 2>&1 | head -n 1)"
		echo "curl: $(curl --version | head -n 1)"
		echo "tcpdump: $(tcpdump --version 2>&1 | head -n 1)"
		echo "libpcap: $(tcpdump --version 2>&1 | sed -n 2p)"
		echo "openssl: $(openssl version)"
		echo "python3: $($PY --version 2>&1)"
		echo "iproute2: $(ip -V)"
		echo "strongswan: $(/usr/lib/ipsec/charon --version 2>&1 | head -n 1) (charon, swanctl, kernel-libipsec $(dpkg-query -W -f='${Version}' libcharon-extra-plugins))"
		echo "openssh: $(ssh -V 2>&1 | head -n 1)"
		echo "ocserv: $(ocserv --version 2>&1 | head -n 1)"
		echo "openconnect: $(openconnect --version 2>&1 | head -n 1)"
		echo "gnutls certtool: $(certtool --version 2>&1 | head -n 1)"
	} >"$SAMPLES/VERSIONS.txt"
}

log "cleaning up leftovers of an earlier run"
lab_down
TMP=$(mktemp -d /tmp/leakscope-lab.XXXXXX)
mkdir -p "$TMP/run" "$TMP/keys" "$TMP/out"
rm -rf "$LOGROOT"
LOGD=$LOGROOT/setup
mkdir -p "$LOGD"
pki
versions

for s in "${SCENARIOS[@]}"; do
	log "scenario $s"
	OUT=$TMP/out/$s
	mkdir -p "$OUT"
	LOGD=$LOGROOT/$s
	mkdir -p "$LOGD"
	printf 'proto\tclient\tserver\tserver_port\tqname\tqtype\tsni\tpath\tverdict\tcategory\tnote\n' >"$OUT/truth.tsv"
	CNS=$NS_CLI
	"sc_$(echo "$s" | tr - _)"
	lab_down
	for f in phys.pcap any.pcap tunnel.xml truth.tsv; do
		[ -s "$OUT/$f" ] || die "$s: $f missing or empty"
	done
	chmod 644 "$OUT"/*
	rm -rf "${SAMPLES:?}/$s"
	mkdir -p "$SAMPLES/$s"
	cp "$OUT"/phys.pcap "$OUT"/any.pcap "$OUT"/tunnel.xml "$OUT"/truth.tsv "$SAMPLES/$s/"
	log "scenario $s: $(($(wc -l <"$OUT/truth.tsv") - 1)) questions, $(du -k "$OUT/phys.pcap" | cut -f1) KiB phys, $(du -k "$OUT/any.pcap" | cut -f1) KiB any"
done
log "done: ${SCENARIOS[*]}"
