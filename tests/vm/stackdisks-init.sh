#!/bin/sh
# /init of the helper VM that makes the storage-stack test disks (tests/vm/stackdisks.sh):
# vda holds the filesystems (16 MiB each, in order), vdb... are the disks to make. The
# static cryptsetup, lvm and mdadm of the image do the work; rdinit, started as modprobe,
# loads what they and the kernel ask for. Says "STACKDISKS OK" when all is written.
export PATH=/usr/sbin:/sbin:/bin
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sys /sys
$bb mount -t devtmpfs dev /dev
$bb mount -t tmpfs run /run
$bb mkdir -p /tmp /run/lvm /run/lock/lvm /run/cryptsetup /run/mdadm
echo /bin/rdmodprobe >/proc/sys/kernel/modprobe

die() {
	echo "STACKDISKS FAILED: $*"
	$bb poweroff -f
}

for m in virtio_pci virtio_blk dm_mod dm_crypt md_mod raid1 af_alg algif_hash algif_skcipher; do
	/bin/rdmodprobe -q -- $m
done
i=0
while [ ! -b /dev/vdk ] && [ $i -lt 100 ]; do
	$bb sleep 0.1
	i=$((i + 1))
done
[ -b /dev/vdk ] || die "the disks did not appear"

for w in $($bb cat /proc/cmdline); do
	case $w in
	sd.*=*)
		k=${w%%=*}
		eval "${k#sd.}=\${w#*=}"
		;;
	esac
done
printf %s "$pass" >/tmp/pass
printf %s "$key" >/tmp/key

# put N DEV: the Nth filesystem of vda onto DEV
put() {
	$bb dd if=/dev/vda of="$2" bs=1M skip=$((16 * $1)) count=16 2>/dev/null || die "dd to $2"
}

fast="--batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --hash sha256"
lvm="lvm"

# LUKS2: a passphrase and a key file
cryptsetup luksFormat --type luks2 $fast --uuid "$luks2" --key-file /tmp/pass /dev/vdb ||
	die "luksFormat luks2"
cryptsetup luksAddKey $fast --key-file /tmp/pass /dev/vdb /tmp/key || die "luksAddKey"
cryptsetup open --key-file /tmp/pass /dev/vdb c1 || die "open luks2"
put 0 /dev/mapper/c1
cryptsetup close c1

# LUKS1, a passphrase, and the cipher older volumes have (its essiv module is one rdinit does
# not load ahead: dm-crypt asks the kernel for it)
cryptsetup luksFormat --type luks1 $fast --cipher aes-cbc-essiv:sha256 --key-size 256 \
	--uuid "$luks1" --key-file /tmp/pass /dev/vdc ||
	die "luksFormat luks1"
cryptsetup open --key-file /tmp/pass /dev/vdc c2 || die "open luks1"
put 1 /dev/mapper/c2
cryptsetup close c2

# LVM: rdvg/root on one PV
$lvm pvcreate -q /dev/vdd && $lvm vgcreate -q rdvg /dev/vdd &&
	$lvm lvcreate -q -y -n root -L 16M rdvg || die "lvm rdvg"
put 2 /dev/rdvg/root
$lvm vgchange -q -an rdvg

# LVM: rdvg2/root over two PVs, its start on the first
$lvm pvcreate -q /dev/vde /dev/vdf && $lvm vgcreate -q rdvg2 /dev/vde /dev/vdf &&
	$lvm lvcreate -q -y -n root -l 100%FREE rdvg2 || die "lvm rdvg2"
put 3 /dev/rdvg2/root
$lvm vgchange -q -an rdvg2

# LVM on LUKS2: rdvgc/root
cryptsetup luksFormat --type luks2 $fast --uuid "$lvluks" --key-file /tmp/pass /dev/vdg ||
	die "luksFormat lvluks"
cryptsetup open --key-file /tmp/pass /dev/vdg c3 || die "open lvluks"
$lvm pvcreate -q /dev/mapper/c3 && $lvm vgcreate -q rdvgc /dev/mapper/c3 &&
	$lvm lvcreate -q -y -n root -L 16M rdvgc || die "lvm rdvgc"
put 4 /dev/rdvgc/root
$lvm vgchange -q -an rdvgc
cryptsetup close c3

# MD RAID1 over vdh and vdi, named rdroot
mdadm --create /dev/md0 --run --quiet --level=1 --raid-devices=2 --metadata=1.2 \
	--name=rdroot --homehost=rdtest --uuid="$md" --assume-clean /dev/vdh /dev/vdi ||
	die "mdadm --create"
put 5 /dev/md0
mdadm --stop /dev/md0 || die "mdadm --stop"

# LVM over two LUKS2 disks, vdj and vdk, that the same key file opens, with a slow key
# derivation (sd.slowiter PBKDF2 iterations, one key slot each): rdvgl/root spans both PVs.
# How long one unlock takes here is said, for the scenarios' timeline (scn_loop.sh).
slow="--batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations $slowiter --hash sha256"
for d in j:$loopa k:$loopb; do
	cryptsetup luksFormat --type luks2 $slow --uuid "${d#*:}" --key-file /tmp/key \
		"/dev/vd${d%%:*}" || die "luksFormat vd${d%%:*}"
	t0=$($bb cut -d' ' -f1 /proc/uptime)
	cryptsetup open --key-file /tmp/key "/dev/vd${d%%:*}" "l${d%%:*}" || die "open vd${d%%:*}"
	$bb awk -v t0="$t0" -v d="vd${d%%:*}" \
		'{ printf "STACKDISKS %s: unlocked in %.1f s\n", d, $1 - t0 }' /proc/uptime
done
$lvm pvcreate -q /dev/mapper/lj /dev/mapper/lk &&
	$lvm vgcreate -q rdvgl /dev/mapper/lj /dev/mapper/lk &&
	$lvm lvcreate -q -y -n root -l 100%FREE rdvgl || die "lvm rdvgl"
put 6 /dev/rdvgl/root
$lvm vgchange -q -an rdvgl
cryptsetup close lk
cryptsetup close lj

$bb sync
echo "STACKDISKS OK"
$bb poweroff -f
