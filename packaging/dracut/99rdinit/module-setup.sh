#!/bin/bash
# dracut module: rdinit as the image's /init. Used with "dracut --add rdinit --omit systemd";
# never chosen on its own (check returns 255). It depends on base, whose 99base installs
# dracut's init.sh as /init: dracut installs modules in name order, so 99rdinit comes after
# 99base and its /init is the one that stays. It keeps what the other modules collected (the
# kernel modules with depmod's indexes, firmware, modprobe.d, the crypttab 90crypt writes
# for a hostonly image), adds the storage stacks' static tools when rdinit's package has
# them, and turns the kernel command line dracut recorded for a hostonly image
# (/etc/cmdline.d/*.conf: root=, rd.luks.uuid=, rd.lvm.lv=, ...) into /etc/rdinit.conf.
# dracut's own hooks and scripts (its initqueue, the pre-mount hooks, ...) stay in the image
# but do not run.
# shellcheck disable=SC2154 # initdir is dracut's

# called by dracut
check() {
    return 255
}

# called by dracut
depends() {
    echo base
    return 0
}

# called by dracut
install() {
    local bin=${RDINIT_BIN:-/usr/lib/rdinit/rdinit}
    local stacks=${RDINIT_STACKS:-/usr/lib/rdinit/stacks}
    local tool f w
    local -a confs

    if [[ ! -x $bin ]]; then
        dfatal "rdinit: $bin is missing"
        return 1
    fi
    rm -f "${initdir}/init"
    cp "$bin" "${initdir}/init" && chmod 0755 "${initdir}/init" || return 1

    mkdir -p "${initdir}/usr/sbin"
    for tool in cryptsetup lvm mdadm dmsetup; do
        if [[ -x $stacks/$tool ]]; then
            rm -f "${initdir}/usr/sbin/$tool"
            cp "$stacks/$tool" "${initdir}/usr/sbin/$tool" || return 1
        fi
    done

    confs=("${initdir}"/etc/cmdline.d/*.conf)
    {
        echo "# written by dracut's rdinit module; the kernel command line overrides it"
        # settings are split on blanks but never globbed: a * or ? in a value (rd.lvm.lv=vg/*)
        # stays as written, whatever files dracut's current directory holds; "local -"
        # gives dracut its options back when install returns
        local -
        set -f
        for f in "${confs[@]}"; do
            [[ -f $f ]] || continue
            for w in $(< "$f"); do
                echo "$w"
            done
        done
        for w in ${rdinit_conf-}; do
            echo "$w"
        done
    } > "${initdir}/etc/rdinit.conf"
}
