# Hostile inputs from tests/hostile/table, one VM boot per row: each must end as the table
# says (the real init runs, or the failure policy reboots) with the message it names, and
# PID 1 must never crash. Sourced by tests/vm/run.sh.
# shellcheck shell=bash

HOSTILE_TABLE=tests/hostile/table

trim() {
	local s=$1
	s=${s#"${s%%[![:space:]]*}"}
	s=${s%"${s##*[![:space:]]}"}
	printf '%s' "$s"
}

# hostile_image SETUP: sets INITRD to the image the row needs (built once per setup).
hostile_image() {
	local out=$VM_OUT/hostile-$1.img conf kdir
	case $1 in
	ext4 | badsb) return 0 ;;
	badconf)
		conf=$VM_OUT/hostile-garbage.conf
		{
			echo "# binary garbage and a 100 KB line follow; the good line at the end counts"
			head -c 300 /dev/urandom | tr -d '\n\000'
			echo
			head -c 102400 /dev/zero | tr '\0' x
			echo
			echo "rdinit.timeout=9"
		} >"$conf"
		[ -s "$out" ] || "$MKRDINIT" --kver "$KVER" --basedir "$KDIR" --config "$conf" \
			--output "$out" >/dev/null || return 1
		;;
	badko)
		kdir=$VM_OUT/hostile-badko-kernel
		if [ ! -s "$out" ]; then
			rm -rf "$kdir" && mkdir -p "$kdir/lib/modules"
			cp -al "$KDIR/lib/modules/$KVER" "$kdir/lib/modules/$KVER" || return 1
			local ko
			ko=$(find "$kdir/lib/modules/$KVER" -name 'virtio_blk.ko*' | head -n 1)
			[ -n "$ko" ] || return 1
			rm -f "$ko" # break the hard link before writing
			echo "this is not an ELF module" >"$ko"
		fi
		# mkrdinit must refuse this tree (status 3 below); its words are in $out.err
		rm -f "$out"
		"$MKRDINIT" --kver "$KVER" --basedir "$kdir" --output "$out" >"$out.err" 2>&1
		return $(($? == 0 ? 0 : 3))
		;;
	*) return 1 ;;
	esac
	INITRD=$out
}

hostile_disk() {
	local img=$VM_OUT/disks/h_$1.img
	mk_ext4 "$img" 90a1b2c3-d4e5-4f60-8172-839a4b5c6d7e RDTEST_H "h_$1"
	# a corrupted superblock: the primary one (at 1 KiB) zeroed
	[ "$2" = badsb ] && dd if=/dev/zero of="$img" bs=1024 seek=1 count=1 conv=notrunc status=none
	vm_vblk "$img"
}

hostile_run() {
	local name=$1 setup=$2 args=$3 outcome=$4 text=$5 long
	if [ "$outcome" = refuse ]; then
		VM_LOG=$VM_OUT/hostile-$setup.img.err
		hostile_image "$setup"
		[ $? = 3 ] || fail "mkrdinit to refuse the $setup tree"
		expect_fixed "$text" "mkrdinit's error to say '$text'"
		[ -e "$VM_OUT/hostile-$setup.img" ] && fail "no image left at --output"
		return
	fi
	hostile_image "$setup" || { fail "the $setup image to be built"; return; }
	hostile_disk "$name" "$setup"
	long=$(printf 'rdjunk.p%04d=xxxxxxxxxx ' $(seq 1 70))
	args=${args//@LONG@/$long}
	vm_boot "h_$name" "$args" "${VM_DISK[@]}"
	expect_exited
	reject 'Attempted to kill init' "PID 1 never to die"
	expect_report "$text" "the message '$text'"
	if [ "$outcome" = boot ]; then
		expect_line 'RDTEST pid=1' "the real init to run as PID 1"
		expect_line "RDTEST marker=h_$name" "the root to be this row's disk"
	else
		reject '^RDTEST' "no real init to run"
		expect_report 'rdinit: rebooting in 0 s' "the panic=-1 policy to reboot"
	fi
}

while IFS= read -r line; do
	case $line in '#'* | '') continue ;; esac
	IFS='|' read -r h_name h_setup h_args h_outcome h_text <<<"$line"
	h_name=$(trim "$h_name")
	SCENARIOS+=("h_$h_name")
	# shellcheck disable=SC2016 # expanded when the scenario runs
	eval "scenario_h_$h_name() { hostile_run $(printf '%q ' "$h_name" "$(trim "$h_setup")" \
		"$(trim "$h_args")" "$(trim "$h_outcome")" "$(trim "$h_text")"); }"
done <"$HOSTILE_TABLE"
