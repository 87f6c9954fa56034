# shellcheck shell=bash
# LinuxKit's kernel+initrd: the OS is the initramfs, there is no root=. Sourced by
# tests/vm/run.sh. Each scenario assembles its initrd as `linuxkit build --format
# kernel+initrd` does, its "init:" images unpacked into one tree and packed as one newc cpio
# (gzip): rdinit's /init from a mkrdinit image, a static busybox with applet links and a
# /sbin/init script standing in for LinuxKit's other init images, and a marker tree of every
# kind of file. The script prints RDTEST lines and powers off.

# the applets the init scripts use
LK_APPLETS="sh cat echo ls mkdir mount umount unshare pivot_root poweroff sync stat readlink
	grep sleep cut tr sed sort paste uname"

# lk_tree DIR: the tree LinuxKit's build would unpack; rdinit's part from mkrdinit's image.
lk_tree() {
	local d=$1 a img=$1.rdinit.img bb
	rm -rf "$d" "$img" && mkdir -p "$d"
	bb=$(vm_busybox) || return 1
	# one uncompressed archive: no modules, so nothing goes ahead of it
	"$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --profile none \
		--omit-stacks luks,lvm,md --compress none --output "$img" >/dev/null ||
		return 1
	(cd "$d" && cpio -idm --quiet --no-absolute-filenames) <"$img" || return 1
	[ -x "$d/init" ] || return 1
	mkdir -p "$d/bin" "$d/sbin" "$d/etc" "$d/tmp" "$d/os/dir"
	cp "$bb" "$d/bin/busybox"
	for a in $LK_APPLETS; do
		ln -s busybox "$d/bin/$a"
	done
	# the OS's files, each kind rdinit has to carry over
	echo lk-marker >"$d/os/marker"
	ln -s marker "$d/os/symlink"
	echo data >"$d/os/data"
	ln "$d/os/data" "$d/os/hardlink"
	mknod "$d/os/null" c 1 3
	chmod 0620 "$d/os/null"
	echo suid >"$d/os/suid"
	chown 1234:567 "$d/os/suid"
	chmod 4711 "$d/os/suid"
	chmod 0700 "$d/os/dir"
	touch -h -d @1234567890 "$d/os/marker" "$d/os/symlink"
	# the real system's own /root (root's home), which a mount there would hide
	mkdir -p "$d/root" && echo home >"$d/root/.profile"
	lk_init_script "$d/sbin/init" sbin-init
	lk_init_script "$d/bin/altinit" altinit
}

# lk_init_script PATH NAME: an init that says who it is, what it sees, and powers off.
lk_init_script() {
	cat >"$1" <<EOF
#!/bin/sh
export PATH=/bin:/sbin
echo "RDTEST init=$2 pid=\$\$ args=\$*"
echo "RDTEST machine=\$(uname -m)"
echo "RDTEST env=\$foo"
while read -r dev mp type opts rest; do
	[ "\$mp" = / ] && echo "RDTEST rootmount=\$type opts=\$opts"
done </proc/mounts
[ -e /init ] && echo "RDTEST rdinit_left=yes" || echo "RDTEST rdinit_left=no"
[ -e /.rdinit-ram ] && echo "RDTEST ramdir_left=yes"
cat /root/.profile | sed 's/^/RDTEST root_home=/'
for f in marker symlink data hardlink null suid dir; do
	echo "RDTEST file \$f \$(stat -c '%F %a %u:%g %h %t:%T' /os/\$f)"
done
echo "RDTEST symlink_to=\$(readlink /os/symlink) content=\$(cat /os/symlink)"
echo "RDTEST marker_mtime=\$(stat -c %Y /os/marker)"
[ "\$(stat -c %i /os/data)" = "\$(stat -c %i /os/hardlink)" ] && echo "RDTEST hardlink_same=yes"
echo "RDTEST rootdir=\$(ls / | paste -sd, -)"
echo "RDTEST api=\$(grep -E '^[^ ]+ /(proc|sys|dev|run) (proc|sysfs|devtmpfs|tmpfs) ' /proc/mounts |
	cut -d' ' -f2 | sort | paste -sd, -)"
unshare -m sh -c 'mkdir /new && mount -t tmpfs t /new && mkdir /new/old && cd /new &&
	pivot_root . old && echo "RDTEST PIVOT_OK"' 2>&1 | sed 's/^/RDTEST pivot: /'
echo "RDTEST done"
sync
poweroff -f
EOF
	chmod 0755 "$1"
}

# lk_pack DIR IMG: newc, sorted, gzip: as LinuxKit writes its initrd.
lk_pack() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) |
		gzip -9n >"$2"
}

# lk_image: this scenario's initrd, in INITRD
lk_image() {
	local d=$VM_OUT/lk-$NAME
	lk_tree "$d" || {
		fail "the LinuxKit-style tree to be assembled in $d"
		return 1
	}
	[ -n "${1:-}" ] && "$1" "$d"
	INITRD=$VM_OUT/lk-$NAME.img
	lk_pack "$d" "$INITRD" || fail "the initrd to be packed"
}

# the OS's files came over whole, rdinit's /init did not
expect_lk_files() {
	expect_line 'RDTEST file marker regular file 644 0:0 1 0:0' "/os/marker, a plain file"
	expect_line 'RDTEST file symlink symbolic link 777 0:0 1 0:0' "/os/symlink, a symlink"
	expect_line 'RDTEST symlink_to=marker content=lk-marker' "the symlink's target and content"
	expect_line 'RDTEST marker_mtime=1234567890' "the marker's mtime kept"
	expect_line 'RDTEST file data regular file 644 0:0 2 0:0' "/os/data with 2 links"
	expect_line 'RDTEST hardlink_same=yes' "/os/hardlink the same inode as /os/data"
	expect_line 'RDTEST file null character special file 620 0:0 1 1:3' "/os/null, c 1:3 0620"
	expect_line 'RDTEST file suid regular file 4711 1234:567 1 0:0' "/os/suid 4711 1234:567"
	expect_line 'RDTEST file dir directory 700 0:0 2 0:0' "/os/dir 0700"
	expect_line 'RDTEST root_home=home' "the image's own /root kept"
	expect_line 'RDTEST rdinit_left=no' "rdinit's /init not carried into the OS"
	reject '^RDTEST ramdir_left' "no trace of the tmpfs's mount point in /"
	expect_line 'RDTEST rootdir=bin,dev,etc,lib,os,proc,root,run,sbin,sys,tmp' \
		"/ to hold the image's tree and nothing of rdinit's but its config and indexes"
	expect_line 'RDTEST api=/dev,/proc,/run,/sys' "the API filesystems moved into the new root"
	expect_line 'RDTEST pivot: RDTEST PIVOT_OK' "pivot_root to work in the new root"
	expect_line 'RDTEST done' "the init's report to be complete"
	reject 'Attempted to kill init' "PID 1 never to die"
}

# no root=: the OS in the initramfs runs from a tmpfs of the kernel's default size
scenario_lk_ram() {
	lk_image || return
	vm_boot lk_ram "single foo=bar"
	expect_exited
	expect_line 'RDTEST init=sbin-init pid=1 args=single' "/sbin/init as PID 1 with argv"
	expect_line "RDTEST machine=$VM_UNAME" "the machine to be $VM_UNAME"
	expect_line 'RDTEST env=bar' "the kernel's environment for init"
	expect_report 'no root=: running the OS in the initramfs from a tmpfs (' "rdinit to say so"
	expect '^RDTEST rootmount=tmpfs opts=rw,' "/ to be a tmpfs"
	reject '^RDTEST rootmount=.*size=65536k' "the default size not to be 64 MiB"
	reject '^RDTEST rootmount=rootfs' "the kernel's rootfs not to be / any more"
	expect_lk_files
}

# root=ram with init= and rdinit.ramsize=: all three honoured
scenario_lk_init_size() {
	lk_image || return
	vm_boot lk_init_size "root=ram init=/bin/altinit rdinit.ramsize=64M"
	expect_exited
	expect_line 'RDTEST init=altinit pid=1 args=' "init= to be run, as PID 1"
	expect_report 'root=ram: running the OS in the initramfs from a tmpfs (' "rdinit to say so"
	expect '^RDTEST rootmount=tmpfs opts=rw,.*size=65536k' "/ to be a tmpfs of 64 MiB"
	expect_lk_files
}

# rdinit.ramsize= too small for the image: said before anything moves, then the failure
# policy (panic=-1: reboot)
scenario_lk_too_small() {
	lk_image || return
	vm_boot lk_too_small "rdinit.ramsize=1M"
	expect_exited
	reject '^RDTEST init=' "no init to run"
	expect_report 'no root=: the initramfs holds' "rdinit to say how much the image holds"
	expect_report 'rdinit.ramsize=1M) cannot take them' "and that the tmpfs is too small"
	expect_report 'rebooting in 0 s' "the failure policy to follow"
	reject 'Attempted to kill init' "PID 1 never to die"
}

# no root= and no OS: a rescue shell at /bin/sh (mkrdinit --shell) is no OS; the old error
lk_no_os_image() {
	rm -rf "$1/sbin/init" "$1/bin/altinit" "$1/os"
	rm -f "$1/bin/sh" && cp "$1/bin/busybox" "$1/bin/sh"
}

scenario_lk_no_os() {
	lk_image lk_no_os_image || return
	vm_boot lk_no_os ""
	expect_exited
	reject '^RDTEST' "no init to run"
	expect_report 'no root= on the kernel command line: nothing to look for' "the old error"
	reject 'running the OS in the initramfs' "the rescue shell not taken for an OS"
	expect_report 'rebooting in 0 s' "the failure policy to follow"
}

SCENARIOS+=(lk_ram lk_init_size lk_too_small lk_no_os)
# LinuxKit builds arm64 images too: the OS in RAM there
ARM64_SCENARIOS+=(lk_ram)
