#!/bin/sh
# The C sources follow .clang-format (kernel style as kmod applies it), the generator
# integrations' shell scripts pass shellcheck. Prints the files that do not, and a closing line.
cd "$(dirname "$0")/.." || exit 2
bad=0 good=0
for f in init/*.c init/*.h init/*/*.c init/*/*.h common/*.c common/*.h packaging/*.c packaging/*.h tests/unit/*.c tests/fuzz/*.c hooks/*.c \
	tests/vm/testinit.c; do
	if clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		good=$((good + 1))
	else
		echo "format: $f differs from .clang-format (clang-format -i $f)"
		bad=$((bad + 1))
	fi
done
# the generator integrations run in other programs' shells: shellcheck, as they have no boot
# test of their own where the generator is not in Debian (mkinitcpio)
for f in packaging/initramfs-tools/hooks/rdinit packaging/initramfs-tools/conf.d/rdinit \
	packaging/dracut/99rdinit/module-setup.sh packaging/mkinitcpio/install/rdinit \
	packaging/kernel/postinst.d/zz-rdinit packaging/kernel/postrm.d/zz-rdinit packaging/kernel/default \
	packaging/initramfs-tools/post-update.d/00-rdinit; do
	shell=sh
	head -n 1 "$f" | grep -q bash && shell=bash
	if shellcheck -s "$shell" "$f" >/dev/null 2>&1; then
		good=$((good + 1))
	else
		echo "format: $f: shellcheck -s $shell $f complains"
		bad=$((bad + 1))
	fi
done
# the build's scripts and the docs check: warnings and errors (they run on a stranger's
# machine first)
for f in build-aux/*.sh tests/build/*.sh tests/docs.sh; do
	shell=sh
	head -n 1 "$f" | grep -q bash && shell=bash
	if shellcheck -S warning -s "$shell" "$f" >/dev/null 2>&1; then
		good=$((good + 1))
	else
		echo "format: $f: shellcheck -S warning -s $shell $f complains"
		bad=$((bad + 1))
	fi
done
echo "format: $good passed, $bad failed"
[ "$bad" -eq 0 ]
