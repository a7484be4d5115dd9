/**
 * banger's initramfs `/init` (busybox sh), implementing the guest boot
 * contract of DESIGN §3. The text is fixed; per-kernel data lives in
 * `/etc/banger/modules` ("<name> <path under /lib/modules/<ver>> required|optional",
 * dependency order) and `/etc/banger/kernel-version`, written by the builder.
 *
 * Kernel command line (read from /proc/cmdline; dotted names are never
 * passed to init by the kernel):
 *   banger.root=overlay|persistent  overlay (default): / = overlay(lower vda ro,
 *                                   upper on vdb); persistent: vda mounted rw as /
 *   banger.ip=ADDR/PREFIX           eth0 address; omitted = eth0 left unconfigured
 *   banger.gw=GW                    default route via eth0
 *   banger.dns=IP[,IP...]           written to /etc/resolv.conf
 *   banger.hostname=NAME            kernel hostname, /etc/hostname, /etc/hosts
 *   banger.init=PATH                init to exec in the new root (default /sbin/init)
 *   banger.disk_timeout=SECONDS     how long to wait for each disk (default 10)
 * Anything else (console=, tsc_early_khz=, panic=) is for the kernel.
 *
 * Just before switch_root the init starts banger's guest agent
 * (/bin/banger-agent, docs/guest-agent.md) in the background, chrooted into
 * the new root (--root); it keeps running under the image's init.
 *
 * Disks are positional (virtio-blk names follow attach order), all ext4,
 * all created by the daemon on the host (mkfs.ext4; the init never formats):
 *   vda  image rootfs (lower layer, mounted read-only; read-write when persistent)
 *   vdb  per-VM system disk holding upper/ and work/ (ignored when persistent)
 *   vdc  per-VM work disk, mounted on /root
 *
 * On any failure the init prints a framed "BOOT FAILED" reason, waits 5 s and
 * runs `reboot -f` (or, failing that, a SysRq reboot): Firecracker on x86
 * exits when the guest reboots but keeps running after a power-off or halt
 * (no ACPI _S5), and the stand-in does the same, so only a reboot ends the VMM
 * process and lets the daemon see it. There is no console input, so a rescue
 * shell would only hang the VM.
 *
 * For the same reason a root with systemd gets poweroff.target and halt.target
 * as aliases of reboot.target in /etc/systemd/system (in the overlay's upper
 * layer; in the image itself when persistent) unless it has its own, so a
 * `poweroff`, `halt` or power button in the guest ends the VM. Pulled images
 * get this too; the golden image also has it built in, plus a shutdown hook.
 */
export const INIT_SCRIPT = `#!/bin/sh
# banger initramfs init: see src/host/images/initramfs/init-script.ts for the contract.
PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PATH
set -f

log() {
  up=
  [ -r /proc/uptime ] && read -r up _ < /proc/uptime
  echo "banger-init: [\${up:-?}] $*"
}

fail() {
  echo
  echo "banger-init: ****************************************************************"
  echo "banger-init: BOOT FAILED: $*"
  echo "banger-init: ****************************************************************"
  echo "banger-init: rebooting in 5 seconds, which stops the VM"
  sleep 5
  reboot -f
  sleep 30
  echo b > /proc/sysrq-trigger
}

wait_for_disk() {
  dev=$1 purpose=$2
  tries=$((disk_timeout * 10))
  while [ ! -b "/dev/$dev" ]; do
    if [ "$tries" -le 0 ]; then
      seen=$(ls /sys/block 2>/dev/null | tr '\\n' ' ')
      fail "disk /dev/$dev ($purpose) did not appear within \${disk_timeout}s; block devices present: \${seen:-none}. The VM must be started with drives vda (image rootfs), vdb (system disk), vdc (work disk) in that order"
    fi
    usleep 100000
    tries=$((tries - 1))
  done
}

# Replaces a file in the new root; removes a symlink first so nothing is written through it.
write_root_file() {
  rm -f "/newroot$1" || fail "could not replace $1 in the root filesystem"
  printf '%s' "$2" > "/newroot$1" || fail "could not write $1 in the root filesystem"
}

mkdir -p /proc /sys /dev /newroot /lower /system
mount -t proc proc /proc || fail "could not mount /proc"
mount -t sysfs sysfs /sys || fail "could not mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "could not mount devtmpfs on /dev"
log "starting (kernel $(uname -r))"

root_mode=overlay ip_cidr= gw= dns= host_name= init=/sbin/init disk_timeout=10
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    banger.root=*) root_mode=\${arg#banger.root=} ;;
    banger.ip=*) ip_cidr=\${arg#banger.ip=} ;;
    banger.gw=*) gw=\${arg#banger.gw=} ;;
    banger.dns=*) dns=\${arg#banger.dns=} ;;
    banger.hostname=*) host_name=\${arg#banger.hostname=} ;;
    banger.init=*) init=\${arg#banger.init=} ;;
    banger.disk_timeout=*) disk_timeout=\${arg#banger.disk_timeout=} ;;
  esac
done
case "$root_mode" in
  overlay|persistent) ;;
  *) fail "banger.root=$root_mode is not supported; use overlay or persistent" ;;
esac
case "$disk_timeout" in
  ''|*[!0-9]*) fail "banger.disk_timeout=$disk_timeout must be a whole number of seconds" ;;
esac
case "$ip_cidr" in
  ''|*/*) ;;
  *) fail "banger.ip=$ip_cidr must be ADDR/PREFIX, e.g. 172.16.0.2/24" ;;
esac

kver=$(uname -r)
built_for=$(cat /etc/banger/kernel-version)
[ "$kver" = "$built_for" ] || fail "this initramfs was built for kernel $built_for but the running kernel is $kver; rebuild the kernel set"
loaded=
while read -r name path need; do
  [ -n "$name" ] || continue
  grep -q "^$name " /proc/modules && continue
  if out=$(insmod "/lib/modules/$kver/$path" 2>&1); then
    loaded="$loaded $name"
  elif [ "$need" = required ]; then
    fail "could not load kernel module $name ($path): $out"
  else
    log "optional module $name not loaded: $out"
  fi
done < /etc/banger/modules
log "loaded modules:\${loaded:- none}"

wait_for_disk vda "image root filesystem"
if [ "$root_mode" = persistent ]; then
  wait_for_disk vdc "work disk for /root"
  log "disks ready; mounting persistent root"
  mount -t ext4 -o rw /dev/vda /newroot || fail "could not mount /dev/vda (image root filesystem) read-write as ext4"
else
  wait_for_disk vdb "system disk, the writable upper layer of /"
  wait_for_disk vdc "work disk for /root"
  log "disks ready; mounting overlay root"
  mount -t ext4 -o ro /dev/vda /lower || fail "could not mount /dev/vda (image root filesystem) read-only as ext4"
  mount -t ext4 -o rw /dev/vdb /system || fail "could not mount /dev/vdb (system disk) as ext4; the daemon must create it with mkfs.ext4"
  mkdir -p /system/upper /system/work || fail "could not create upper/ and work/ on /dev/vdb (system disk)"
  mount -t overlay overlay -o lowerdir=/lower,upperdir=/system/upper,workdir=/system/work /newroot ||
    fail "could not mount the overlay root (lower /dev/vda, upper /dev/vdb)"
fi

ip link set lo up || fail "could not bring up lo"
if [ -n "$ip_cidr" ]; then
  tries=50
  while [ ! -e /sys/class/net/eth0 ]; do
    [ "$tries" -le 0 ] && fail "network interface eth0 did not appear within 5s (is a network interface attached to the VM?)"
    usleep 100000
    tries=$((tries - 1))
  done
  ip addr add "$ip_cidr" dev eth0 || fail "could not set address $ip_cidr on eth0"
  ip link set eth0 up || fail "could not bring up eth0"
  if [ -n "$gw" ]; then
    ip route add default via "$gw" dev eth0 || fail "could not add default route via $gw"
  fi
  log "eth0 $ip_cidr gateway \${gw:-none}"
else
  log "no banger.ip= on the kernel command line; eth0 left unconfigured"
fi

mkdir -p /newroot/etc || fail "could not create /etc in the root filesystem"
if [ -n "$host_name" ]; then
  hostname "$host_name" || fail "could not set hostname $host_name"
  addr=\${ip_cidr%/*}
  write_root_file /etc/hostname "$host_name
"
  write_root_file /etc/hosts "127.0.0.1	localhost
\${addr:-127.0.1.1}	$host_name
::1	localhost ip6-localhost ip6-loopback
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
"
  log "hostname $host_name"
fi
if [ -n "$dns" ]; then
  resolv=
  for server in $(echo "$dns" | tr ',' ' '); do
    resolv="\${resolv}nameserver $server
"
  done
  write_root_file /etc/resolv.conf "$resolv"
  log "dns $dns"
fi

mkdir -p /newroot/root || fail "could not create /root in the root filesystem"
mount -t ext4 -o rw /dev/vdc /newroot/root || fail "could not mount /dev/vdc (work disk) on /root as ext4"
log "work disk mounted on /root"

if [ ! -e "/newroot$init" ] && [ ! -L "/newroot$init" ]; then
  fail "init $init does not exist in the root filesystem; install one (e.g. systemd-sysv) or pass banger.init="
fi
# Firecracker stays alive after a guest power-off or halt; a reboot ends it (see the contract above).
if [ -d /newroot/etc/systemd/system ]; then
  target=
  for dir in /usr/lib/systemd/system /lib/systemd/system; do
    if [ -z "$target" ] && [ -e "/newroot$dir/reboot.target" ]; then target=$dir/reboot.target; fi
  done
  if [ -n "$target" ]; then
    for unit in poweroff.target halt.target; do
      link=/newroot/etc/systemd/system/$unit
      [ -e "$link" ] || [ -L "$link" ] || ln -s "$target" "$link" || log "could not alias $unit to reboot.target"
    done
  fi
fi

for fs in dev proc sys; do
  mkdir -p "/newroot/$fs" && mount --move "/$fs" "/newroot/$fs" || fail "could not move /$fs into the new root"
done
# banger's guest agent answers the host over vsock (or the stand-in's serial port), not the
# network. It chroots into the new root itself and outlives switch_root as a child of init;
# --detach returns only once it is in the new root (switch_root empties this one).
if /bin/banger-agent --root /newroot --detach; then
  log "guest agent started"
else
  log "guest agent did not start"
fi
echo "banger-init: switching root to $init"
exec switch_root /newroot "$init"
`;
