#!/bin/sh
# deps.sh - installs the Debian packages the capture lab needs (idempotent).
# Services shipped by the packages (dnsmasq, unbound, openvpn, strongswan,
# ssh, ocserv) must not run:
# the lab starts its own instances inside network namespaces with its own
# config, so package installs run under a policy-rc.d that forbids starting
# services, and any that got started anyway are stopped afterwards.
set -eu

PKGS="wireguard-go wireguard-tools openvpn dnsmasq unbound knot-dnsutils dnsutils
curl tcpdump openssl iproute2 iputils-ping python3 tshark procps kmod
strongswan-charon strongswan-swanctl libcharon-extra-plugins
openssh-server openssh-client ocserv openconnect gnutls-bin"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	echo "deps.sh: installing:$missing"
	# Forbid service starts during the install (exit 101 = action forbidden).
	prc=/usr/sbin/policy-rc.d
	saved=""
	if [ -e "$prc" ]; then
		saved=$(mktemp)
		cp -p "$prc" "$saved"
	fi
	printf '#!/bin/sh\nexit 101\n' > "$prc"
	chmod 755 "$prc"
	export DEBIAN_FRONTEND=noninteractive
	rc=0
	apt-get install -y -q --no-install-recommends $missing || rc=$?
	if [ -n "$saved" ]; then mv "$saved" "$prc"; else rm -f "$prc"; fi
	[ "$rc" -eq 0 ] || { echo "deps.sh: apt-get install failed ($rc)" >&2; exit "$rc"; }
fi

# Stop packaged daemons if an init system started them anyway; the lab's own
# instances run in namespaces with their own PID files.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	for s in dnsmasq unbound openvpn strongswan ssh ocserv; do
		systemctl stop "$s" >/dev/null 2>&1 || true
		systemctl disable "$s" >/dev/null 2>&1 || true
	done
fi
exit 0
