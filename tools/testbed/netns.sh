#!/bin/sh
# tools/testbed/netns.sh — a private network test bed for bridge/TAP/NAT tests.
#
# Builds, without touching the host's own interfaces, routes, sysctls or
# firewall (everything happens inside namespaces this script creates):
#
#   NAME        the "host" banger manages: lo, bridge BR (BR_CIDR, unless
#               --no-bridge, for tests where banger creates it), ip_forward=1,
#               uplink0 203.0.113.1/24 with a default route to the upstream.
#   NAME-up     the fake "internet": eth0 203.0.113.254/24 (the other end of
#               uplink0) and 198.51.100.1/32 on lo as a far-away address.
#               It has NO route to the bridge subnet, so a guest reaches it only
#               through NAT (MASQUERADE on uplink0 in NAME).
#   NAME-g-LABEL  optional fake guests (`guest` below): a veth into the bridge,
#               for NAT checks without a VM.
#
# Usage (as root: network namespaces need CAP_NET_ADMIN):
#   tools/testbed/netns.sh up NAME [--no-bridge] [--bridge BR] [--bridge-cidr 172.16.0.1/24]
#       Creates the namespaces and prints the layout as shell assignments
#       (NETNS, UPSTREAM_NETNS, UPLINK_IF, UPLINK_IP, UPSTREAM_IP, INTERNET_IP,
#       BRIDGE, BRIDGE_CIDR). Fails if NAME already exists.
#   tools/testbed/netns.sh guest NAME LABEL ADDR/PREFIX [GATEWAY]
#       Adds fake guest namespace NAME-g-LABEL on the bridge (default gateway:
#       the bridge address) and prints GUEST_NETNS=...
#   tools/testbed/netns.sh down NAME
#       Kills processes inside NAME, NAME-up and NAME-g-*, deletes those
#       namespaces. Idempotent.
#
# Run things inside:  ip netns exec NAME <cmd>     (banger's daemon, the stand-in, iptables)
#                     ip netns exec NAME-up <cmd>  (a server the guest should reach)
# Example NAT check:
#   eval "$(tools/testbed/netns.sh up t1)"
#   eval "$(tools/testbed/netns.sh guest t1 a 172.16.0.2/24)"
#   ip netns exec "$GUEST_NETNS" ping -c1 -W1 "$INTERNET_IP"     # fails: no NAT yet
#   ip netns exec "$NETNS" iptables -t nat -A POSTROUTING -s 172.16.0.0/24 -o uplink0 -j MASQUERADE
#   ip netns exec "$GUEST_NETNS" ping -c1 -W1 "$INTERNET_IP"     # works
#   tools/testbed/netns.sh down t1
set -eu

UPLINK_IF=uplink0
UPLINK_IP=203.0.113.1
UPSTREAM_IP=203.0.113.254
INTERNET_IP=198.51.100.1

die() {
  echo "netns.sh: $*" >&2
  exit 2
}

exists() {
  ip netns list | awk '{print $1}' | grep -qx "$1"
}

# The IPv4 address of bridge $2 in namespace $1, for `guest` to use as gateway.
bridge_cidr_of() {
  ip -n "$1" -o -4 addr show dev "$2" 2>/dev/null | awk '{print $4; exit}'
}

cmd_up() {
  name=$1
  shift
  bridge=banger0
  bridge_cidr=172.16.0.1/24
  with_bridge=1
  while [ $# -gt 0 ]; do
    case $1 in
      --no-bridge) with_bridge=0 ;;
      --bridge) bridge=${2:?--bridge needs a name}; shift ;;
      --bridge-cidr) bridge_cidr=${2:?--bridge-cidr needs ADDR/PREFIX}; shift ;;
      *) die "unknown option $1" ;;
    esac
    shift
  done
  exists "$name" && die "namespace $name already exists (run: $0 down $name)"
  up="$name-up"
  ip netns add "$name"
  ip netns add "$up"
  ip -n "$name" link set lo up
  ip -n "$up" link set lo up
  # The veth pair is created inside NAME, one end moved straight into NAME-up: never in the host namespace.
  ip -n "$name" link add "$UPLINK_IF" type veth peer name eth0 netns "$up"
  ip -n "$name" addr add "$UPLINK_IP/24" dev "$UPLINK_IF"
  ip -n "$name" link set "$UPLINK_IF" up
  ip -n "$name" route add default via "$UPSTREAM_IP"
  ip -n "$up" addr add "$UPSTREAM_IP/24" dev eth0
  ip -n "$up" link set eth0 up
  ip -n "$up" addr add "$INTERNET_IP/32" dev lo
  ip netns exec "$name" sysctl -qw net.ipv4.ip_forward=1
  if [ "$with_bridge" = 1 ]; then
    ip -n "$name" link add "$bridge" type bridge
    ip -n "$name" addr add "$bridge_cidr" dev "$bridge"
    ip -n "$name" link set "$bridge" up
  fi
  echo "NETNS=$name"
  echo "UPSTREAM_NETNS=$up"
  echo "UPLINK_IF=$UPLINK_IF"
  echo "UPLINK_IP=$UPLINK_IP"
  echo "UPSTREAM_IP=$UPSTREAM_IP"
  echo "INTERNET_IP=$INTERNET_IP"
  if [ "$with_bridge" = 1 ]; then
    echo "BRIDGE=$bridge"
    echo "BRIDGE_CIDR=$bridge_cidr"
  fi
}

cmd_guest() {
  name=$1
  label=${2:?guest needs a LABEL}
  addr=${3:?guest needs ADDR/PREFIX}
  exists "$name" || die "namespace $name does not exist (run: $0 up $name)"
  bridge=$(ip -n "$name" -o link show type bridge | awk -F': ' '{print $2; exit}')
  [ -n "$bridge" ] || die "$name has no bridge"
  gateway=${4:-$(bridge_cidr_of "$name" "$bridge" | cut -d/ -f1)}
  [ -n "$gateway" ] || die "bridge $bridge in $name has no IPv4 address; pass GATEWAY"
  guest="$name-g-$label"
  hostside="vg-$label"
  [ ${#hostside} -le 15 ] || die "LABEL too long for an interface name: $label"
  ip netns add "$guest"
  ip -n "$guest" link set lo up
  ip -n "$name" link add "$hostside" type veth peer name eth0 netns "$guest"
  ip -n "$name" link set "$hostside" master "$bridge"
  ip -n "$name" link set "$hostside" up
  ip -n "$guest" addr add "$addr" dev eth0
  ip -n "$guest" link set eth0 up
  ip -n "$guest" route add default via "$gateway"
  echo "GUEST_NETNS=$guest"
}

cmd_down() {
  name=$1
  for ns in $(ip netns list | awk '{print $1}'); do
    case $ns in
      "$name" | "$name-up" | "$name-g-"*) ;;
      *) continue ;;
    esac
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v ip >/dev/null || die "needs iproute2 (ip)"
verb=${1:-}
[ $# -ge 2 ] || die "usage: $0 up|guest|down NAME ... (see the top of this file)"
shift
case $verb in
  up) cmd_up "$@" ;;
  guest) cmd_guest "$@" ;;
  down) cmd_down "$1" ;;
  *) die "unknown command $verb" ;;
esac
