# shellcheck shell=sh
# Sourced by sysroot.sh and stacks.sh: what building for one target architecture takes.
#
# target_arch ARCH: ARCH is x86_64 (amd64) or arm64 (aarch64); sets
#   ARCH       the canonical name (x86_64, arm64)
#   HOST       the GNU triplet configure scripts take with --host
#   CC         the musl compiler: musl-tools' musl-gcc for x86_64, musl-dev:arm64's
#              aarch64-linux-musl-gcc (Debian's cross gcc with musl's specs) for arm64
#   AR RANLIB STRIP
#              binutils for the target (a static archive's index is per machine; the host's
#              strip does not know the target's ELF)
#   ELF_MACHINE what file(1) says of the target's ELF files (x86-64, ARM aarch64)
#   KHDR       the kernel's UAPI headers for the target (linux/, asm/, asm-generic/): musl has
#              none, so a sysroot holds symlinks to these
# and exits with a message when the compiler is missing.
# shellcheck disable=SC2034 # what it sets is for the sourcing script
target_arch() {
	case $1 in
	x86_64 | amd64)
		ARCH=x86_64 HOST=x86_64-linux-musl CC=musl-gcc AR=ar RANLIB=ranlib STRIP=strip
		ELF_MACHINE=x86-64
		multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
		KHDR=/usr/include
		if [ -d "/usr/include/$multiarch/asm" ]; then
			KHDR_ASM=/usr/include/$multiarch/asm
		else
			KHDR_ASM=/usr/include/asm
		fi
		;;
	arm64 | aarch64)
		ARCH=arm64 HOST=aarch64-linux-musl CC=aarch64-linux-musl-gcc
		AR=aarch64-linux-gnu-ar RANLIB=aarch64-linux-gnu-ranlib STRIP=aarch64-linux-gnu-strip
		ELF_MACHINE='ARM aarch64'
		# linux-libc-dev-arm64-cross's; on an arm64 machine, its own (untried)
		KHDR=/usr/aarch64-linux-gnu/include KHDR_ASM=/usr/aarch64-linux-gnu/include/asm
		if [ ! -d "$KHDR_ASM" ] && [ -d /usr/include/aarch64-linux-gnu/asm ]; then
			KHDR=/usr/include KHDR_ASM=/usr/include/aarch64-linux-gnu/asm
		fi
		;;
	*)
		echo "${TAG:-build}: unknown architecture '$1' (x86_64 or arm64)" >&2
		exit 1
		;;
	esac
	if ! command -v "$CC" >/dev/null 2>&1 || [ ! -d "$KHDR_ASM" ]; then
		echo "${TAG:-build}: no $ARCH toolchain ($CC, $KHDR_ASM): run make bootstrap" >&2
		exit 1
	fi
	export CC AR RANLIB STRIP
}

# kernel_include DIR: DIR/{linux,asm,asm-generic} as symlinks to the target's kernel headers
kernel_include() {
	mkdir -p "$1"
	ln -sfn "$KHDR/linux" "$1/linux"
	ln -sfn "$KHDR/asm-generic" "$1/asm-generic"
	ln -sfn "$KHDR_ASM" "$1/asm"
}

# check_output FILE: FILE is what a build for the target makes, a static, stripped program
# for its machine (a configure that fell back to the host's compiler or strip would not fail
# by itself); else say what it is instead, remove it (the next run builds it again) and exit 1.
check_output() {
	what=$(file -b "$1")
	for want in 'statically linked' ', stripped' "$ELF_MACHINE"; do
		case $what in *"$want"*) continue ;; esac
		echo "${TAG:-build}: $1: not '$want' ($ARCH): $what" >&2
		rm -f "$1"
		exit 1
	done
}

# clean_build_env: nothing of the caller's make command line or build settings reaches the
# builds of Debian's sources: "make install DESTDIR=D" would install their libraries under D
# (through MAKEFLAGS as well as the environment), a CC or CFLAGS meant for rdinit would build
# them for the wrong libc, and dpkg-buildpackage's hardening flags are glibc's.
clean_build_env() {
	unset MAKEFLAGS MAKEOVERRIDES MFLAGS MAKELEVEL MAKE_TERMOUT MAKE_TERMERR GNUMAKEFLAGS \
		DESTDIR PREFIX DEB_BUILD_OPTIONS CC CXX CPP LD AR AS NM RANLIB STRIP OBJCOPY OBJDUMP \
		CFLAGS CXXFLAGS CPPFLAGS LDFLAGS LDLIBS LIBS ASFLAGS PKG_CONFIG PKG_CONFIG_PATH \
		PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR C_INCLUDE_PATH CPATH LIBRARY_PATH \
		CROSS_COMPILE ARCH SRCARCH KBUILD_OUTPUT O V
}
