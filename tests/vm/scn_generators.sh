# The distro generators make the image, with rdinit as its /init: Debian's own dracut with
# packaging/dracut/99rdinit, and Debian's own mkinitramfs (initramfs-tools) with
# packaging/initramfs-tools/. dracut is told where everything is (a copy of its module
# directory with rdinit's module added, the test kernel's modules, a configuration of its
# own). mkinitramfs runs in a private mount namespace,
# with an overlay on /usr/lib holding the test kernel's modules where it looks for them
# (/lib/modules/VERSION, which it cannot be told otherwise), and a configuration directory
# of its own (mkinitramfs -d): nothing of the host's /etc, /boot or /usr changes.

SCENARIOS+=(g_initramfs_tools g_dracut)

# in_namespace DIR CMD...: run CMD where /usr/lib/modules/$KVER is the test kernel's modules
# (an overlay on /usr/lib with DIR/up, DIR/work) and /boot holds only its config (mkinitramfs
# checks the kernel can unpack its compression), the host's mounts untouched.
in_namespace() {
	local d=$1
	shift
	mkdir -p "$d/up" "$d/work"
	unshare -m sh -ec 'mount --make-rprivate /
		mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$1/up,workdir=$1/work" /usr/lib
		mkdir -p "/usr/lib/modules/$2"
		mount --bind "$3/lib/modules/$2" "/usr/lib/modules/$2"
		mount -t tmpfs tmpfs /boot
		cp "$3/boot/config-$2" /boot/
		shift 3
		"$@"' sh "$d" "$KVER" "$KDIR" "$@"
}

# unpacked IMG DIR: the image's main archive unpacked in DIR (after an early microcode one,
# unmkinitramfs puts it in DIR/main); prints where its / is
unpacked() {
	mkdir -p "$2" && (cd "$2" && unmkinitramfs "$1" . >/dev/null 2>&1) || return 1
	if [ -d "$2/main" ]; then echo "$2/main"; else echo "$2"; fi
}

# initramfs-tools' mkinitramfs, MODULES=most, with the rdinit hook and RDINIT=y: the image's
# /init is rdinit, the modules are initramfs-tools' choice, and the root boots
scenario_g_initramfs_tools() {
	local t=$VM_OUT/g_initramfs_tools uuid=3c4d5e6f-0201-4a00-8000-000000000201
	rm -rf "$t" && mkdir -p "$t/conf/conf.d" "$t/conf/hooks" "$t/conf/scripts" "$t/x"
	printf 'MODULES=most\nBUSYBOX=n\nKEYMAP=n\nCOMPRESS=gzip\nFSTYPE=auto\n' \
		>"$t/conf/initramfs.conf"
	: >"$t/conf/modules"
	cp packaging/initramfs-tools/hooks/rdinit "$t/conf/hooks/rdinit"
	# the package's switch, turned on, with this tree's builds where the package puts its own
	sed 's/^RDINIT=n$/RDINIT=y/' packaging/initramfs-tools/conf.d/rdinit >"$t/conf/conf.d/rdinit"
	printf 'RDINIT_BIN=%s\nRDINIT_STACKS=%s\nRDINIT_CONF="rdinit.timeout=20"\n' \
		"$PWD/build/rdinit" "$PWD/build/stacks/sbin" >>"$t/conf/conf.d/rdinit"
	printf 'RESUME=none\n' >"$t/conf/conf.d/resume"
	# the root from initramfs-tools' configuration: the command line below names none
	printf 'ROOT=UUID=%s\n' "$uuid" >"$t/conf/conf.d/root"
	if ! in_namespace "$t" mkinitramfs -d "$t/conf" -o "$t/initrd.img" "$KVER" \
		>"$t/mkinitramfs.log" 2>&1; then
		fail "mkinitramfs to build an image ($(tail -n 3 "$t/mkinitramfs.log"))"
		return
	fi
	local main
	main=$(unpacked "$PWD/$t/initrd.img" "$t/x") || { fail "unmkinitramfs to unpack the image"; return; }
	cmp -s "$main/init" build/rdinit || fail "the image's /init to be rdinit"
	[ -x "$main/usr/sbin/cryptsetup" ] || fail "cryptsetup in the image, for LUKS roots"
	grep -qx 'rdinit.timeout=20' "$main/etc/rdinit.conf" 2>/dev/null ||
		fail "RDINIT_CONF's settings in /etc/rdinit.conf"
	ls "$main/usr/lib/modules/$KVER/modules.alias.bin" "$main/lib/modules/$KVER/modules.alias.bin" \
		2>/dev/null | grep -q . || fail "depmod's indexes in the image"
	s_disk g_initramfs_tools $uuid
	vm_vblk "$S_IMG"
	grep -qx "root=UUID=$uuid" "$main/etc/rdinit.conf" 2>/dev/null ||
		fail "conf.d's ROOT= as root= in /etc/rdinit.conf"
	INITRD=$t/initrd.img vm_boot g_initramfs_tools "rdinit.timeout=20" "${VM_DISK[@]}"
	expect_reached g_initramfs_tools
	expect 'rdinit: looking for root=UUID=' "rdinit, not initramfs-tools' scripts, to find the root"
	expect 'runfile=timings:.* loaded virtio_blk' "the disk's driver from initramfs-tools' modules"
	reject 'Begin: Loading essential drivers' "initramfs-tools' own init not to run"
}

# dracut --add rdinit --omit systemd, the modules of a generic (not hostonly) image: /init is
# rdinit, although 99base installs dracut's own init.sh there too, and the root boots
scenario_g_dracut() {
	local t=$VM_OUT/g_dracut uuid=3c4d5e6f-0202-4a00-8000-000000000202 main
	rm -rf "$t" && mkdir -p "$t/conf.d"
	cp -a /usr/lib/dracut "$t/dracut" && cp -a packaging/dracut/99rdinit "$t/dracut/modules.d/" ||
		{ fail "a copy of dracut's modules with rdinit's"; return; }
	printf 'rdinit_conf="rdinit.timeout=20"\n' >"$t/dracut.conf"
	if ! RDINIT_BIN=$PWD/build/rdinit RDINIT_STACKS=$PWD/build/stacks/sbin \
		dracutbasedir=$t/dracut dracut --conf "$t/dracut.conf" --confdir "$t/conf.d" \
		--kver "$KVER" --kmoddir "$KDIR/lib/modules/$KVER" --no-hostonly --add rdinit \
		--omit systemd -m "rdinit kernel-modules" --force "$t/initrd.img" >"$t/dracut.log" 2>&1; then
		fail "dracut to build an image ($(tail -n 3 "$t/dracut.log"))"
		return
	fi
	main=$(unpacked "$PWD/$t/initrd.img" "$t/x") || { fail "unmkinitramfs to unpack the image"; return; }
	cmp -s "$main/init" build/rdinit || fail "the image's /init to be rdinit, not dracut's init.sh"
	[ -x "$main/usr/sbin/lvm" ] || fail "lvm in the image, for LVM roots"
	grep -qx 'rdinit.timeout=20' "$main/etc/rdinit.conf" 2>/dev/null ||
		fail "dracut.conf's rdinit_conf in /etc/rdinit.conf"
	s_disk g_dracut $uuid
	vm_vblk "$S_IMG"
	INITRD=$t/initrd.img vm_boot g_dracut "root=UUID=$uuid" "${VM_DISK[@]}"
	expect_reached g_dracut
	expect 'rdinit: looking for root=UUID=' "rdinit, not dracut's init, to find the root"
	expect 'runfile=timings:.* loaded virtio_blk' "the disk's driver from dracut's modules"
	reject 'dracut: ' "dracut's own init not to run"
}
