#!/bin/busybox sh
# busybox-init.sh - the boot benchmark's hand-written busybox /init (a floor, not an init to
# use). tests/bench/boot.sh puts it in an image as /init with /bin/busybox and
# /etc/bench-root, which names what it must do, found by the benchmark at build time:
#   MODULES="/lib/modules/.../a.ko ..."  decompressed modules, in dependency order
#   DEV=/dev/vda  FSTYPE=ext4             the root device node and its filesystem
# No discovery: insmod the list, wait for the node, mount it read-only, switch_root.
bb=/bin/busybox

$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs -o mode=0755 devtmpfs /dev
. /etc/bench-root

for m in $MODULES; do
	$bb insmod "$m" || echo "busybox-init: insmod $m failed"
done

# 1 ms polls, up to 30 s
i=0
while [ ! -b "$DEV" ]; do
	i=$((i + 1))
	if [ $i -gt 30000 ]; then
		echo "busybox-init: $DEV did not appear"
		exit 1
	fi
	$bb usleep 1000
done

$bb mount -t "$FSTYPE" -o ro "$DEV" /root || exit 1
for d in dev proc sys; do
	$bb mount --move "/$d" "/root/$d"
done
exec $bb switch_root /root /sbin/init
