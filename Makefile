# rdinit: a static musl /init for the initramfs, and mkrdinit, the image builder.
#
#   make            build/rdinit (static, musl, stripped) and build/mkrdinit (host tool)
#   make ARCH=arm64 build/arm64/rdinit, cross-built for 64-bit ARM (and build/mkrdinit)
#   make demo       build, make an image for Debian's kernel, boot it in QEMU, show the handoff
#                   (ARCH=arm64: Debian's arm64 kernel under qemu-system-aarch64)
#   make check      unit tests (ASan/UBSan) and VM tests, x86-64 and an arm64 subset
#   make bootstrap  install the Debian packages everything needs
#   make unit       the unit tests alone: host packages only, no musl sysroot, tools or kernel
#   make check-docs the docs against the tree (tests/docs.sh, part of make check; a second)
#   make dist       rdinit-VERSION.tar.xz: the project and every locked source, to build offline
#   make update-lock  rewrite build-aux/sources.lock from what Debian's archive serves now
#
# Every Debian package the build and the tests take is pinned, with its digest, in
# build-aux/sources.lock and kept in a cache outside build/ (~/.cache/rdinit/src, or
# RDINIT_SRC_CACHE): see build-aux/debsrc.sh.

B := build

# The target of /init: x86_64 or arm64, this machine's by default. Each has its own build
# directory, sysroot and stack tools: build/ for x86_64, build/arm64/ for arm64.
arch_name = $(patsubst amd64,x86_64,$(patsubst aarch64,arm64,$(1)))
HOST_ARCH := $(call arch_name,$(shell uname -m))
override ARCH := $(call arch_name,$(or $(ARCH),$(HOST_ARCH)))
ARCHES := x86_64 arm64
ifeq ($(filter $(ARCH),$(ARCHES)),)
$(error ARCH=$(ARCH): rdinit builds for x86_64 and arm64)
endif
DIR_x86_64 := $(B)
DIR_arm64 := $(B)/arm64
# musl-tools' wrapper; musl-dev:arm64's (Debian's aarch64 cross gcc with musl's specs)
MUSL_CC_x86_64 := musl-gcc
MUSL_CC_arm64 := aarch64-linux-musl-gcc

# common/: code both programs need (module names, softdep lists, cleanup attributes)
COMMON_SRCS := $(wildcard common/*.c)
COMMON_HDRS := $(wildcard common/*.h)
INIT_SRCS := $(wildcard init/*.c init/*/*.c) $(COMMON_SRCS)
INIT_HDRS := $(wildcard init/*.h init/*/*.h) $(COMMON_HDRS)
MK_SRCS := $(wildcard packaging/*.c) $(COMMON_SRCS)
MK_HDRS := $(wildcard packaging/*.h) $(COMMON_HDRS)

WARN := -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2
# $(call init_cflags,SYSROOT)
init_cflags = -std=gnu11 -Os $(WARN) -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-Iinit -Icommon -I$(1)/include -isystem $(1)/kernel-include
init_ldflags = -static -s -Wl,--gc-sections -Wl,-z,noexecstack -L$(1)/lib
INIT_LIBS := -lmount -lblkid -lkmod -llzma -lzstd -lz
SYSROOT_LIBS := kmod util-linux xz zstd zlib

HOST_CC := gcc
MK_DEFS := -DRDINIT_INIT_PATH='"$(CURDIR)/$(B)/rdinit"' \
	-DRDINIT_INIT_PATH_ARM64='"$(CURDIR)/$(DIR_arm64)/rdinit"' \
	-DRDINIT_MODULES_DIR='"$(CURDIR)/modules"' -DRDINIT_CONF_DIR='"$(CURDIR)/conf"' \
	-DRDINIT_STACKS_DIR='"$(CURDIR)/$(B)/stacks/sbin"' \
	-DRDINIT_STACKS_DIR_ARM64='"$(CURDIR)/$(DIR_arm64)/stacks/sbin"'
MK_CFLAGS := -std=gnu11 -O2 $(WARN) -Icommon $(MK_DEFS) $(shell pkg-config --cflags libkmod libarchive libzstd 2>/dev/null) -pthread
MK_LIBS := $(shell pkg-config --libs libkmod libarchive libzstd 2>/dev/null) -pthread

# The first rule: what `make` builds
all: $(DIR_$(ARCH))/rdinit $(B)/mkrdinit $(DIR_$(ARCH))/stacks/sbin/cryptsetup
.PHONY: all

SOURCES := build-aux/debsrc.sh build-aux/sources.lock

# $(call stamps,ARCH): what sysroot.sh leaves in ARCH's sysroot, a stamp per library
stamps = $(foreach l,$(SYSROOT_LIBS),$(DIR_$(1))/sysroot/.$(l).stamp)

# The rules for one target architecture: $(call arch_rules,ARCH)
define arch_rules
# One run of sysroot.sh makes every stamp: a grouped target (GNU make 4.3, Debian 12's), so
# make -j runs it once.
$(call stamps,$(1)) &: build-aux/sysroot.sh build-aux/arch.sh $(SOURCES)
	sh build-aux/sysroot.sh $(DIR_$(1))/sysroot $(1)

$(DIR_$(1))/rdinit: $(INIT_SRCS) $(INIT_HDRS) $(call stamps,$(1)) build-aux/checkbin.sh
	@mkdir -p $(DIR_$(1))
	$(MUSL_CC_$(1)) $(call init_cflags,$(DIR_$(1))/sysroot) $(INIT_SRCS) \
		$(call init_ldflags,$(DIR_$(1))/sysroot) $(INIT_LIBS) -o $$@
	@sh build-aux/checkbin.sh $(1) $$@

# The storage stacks' tools for the image (LUKS, LVM, md RAID): static musl builds from
# Debian's sources (build-aux/stacks.sh; a few minutes once, nothing after). One run makes all
# of them.
$(DIR_$(1))/stacks/sbin/cryptsetup $(DIR_$(1))/stacks/sbin/lvm $(DIR_$(1))/stacks/sbin/mdadm &: \
		build-aux/stacks.sh build-aux/arch.sh $(SOURCES) \
		build-aux/patches/lvm2-musl.patch build-aux/patches/nettle-musl.patch $(call stamps,$(1))
	sh build-aux/stacks.sh $(DIR_$(1))/stacks $(DIR_$(1))/sysroot $(1)
endef
$(foreach a,$(ARCHES),$(eval $(call arch_rules,$(a))))

bootstrap:
	@sh build-aux/bootstrap.sh

$(B)/mkrdinit: $(MK_SRCS) $(MK_HDRS)
	@mkdir -p $(B)
	$(HOST_CC) $(MK_CFLAGS) $(MK_SRCS) $(MK_LIBS) -o $@

stacks: $(DIR_$(ARCH))/stacks/sbin/cryptsetup
.PHONY: stacks

# ---- make install (PREFIX=/usr, DESTDIR=): mkrdinit built for the installed paths ----
PREFIX := /usr
LIBDIR := $(PREFIX)/lib/rdinit
SHAREDIR := $(PREFIX)/share/rdinit
MANDIR := $(PREFIX)/share/man
DOCDIR := $(PREFIX)/share/doc/rdinit
SYSCONFDIR := /etc
# the other architectures whose rdinit and stack tools make install adds when they are built
# (debian/rules empties it: a package carries its own architecture's programs)
INSTALL_CROSS := arm64
INSTALL_DEFS := -DRDINIT_INIT_PATH='"$(LIBDIR)/rdinit"' -DRDINIT_MODULES_DIR='"$(SHAREDIR)/modules"' \
	-DRDINIT_CONF_DIR='"$(SHAREDIR)/conf"' -DRDINIT_STACKS_DIR='"$(LIBDIR)/stacks"' \
	-DRDINIT_INIT_PATH_ARM64='"$(LIBDIR)/arm64/rdinit"' \
	-DRDINIT_STACKS_DIR_ARM64='"$(LIBDIR)/arm64/stacks"'
MANPAGES := man/rdinit.8 man/mkrdinit.8 man/rdinit.conf.5

# the prefix is compiled in: a change of PREFIX rebuilds it
$(B)/install/mkrdinit: $(MK_SRCS) $(MK_HDRS) FORCE
	@mkdir -p $(B)/install
	@echo '$(INSTALL_DEFS)' | cmp -s - $(B)/install/defs || echo '$(INSTALL_DEFS)' >$(B)/install/defs
	@if [ ! -x $@ ] || [ -n "$$(find $(MK_SRCS) $(MK_HDRS) $(B)/install/defs -newer $@)" ]; then \
		echo "$(HOST_CC) ... -o $@"; \
		$(HOST_CC) $(filter-out -DRDINIT_%,$(MK_CFLAGS)) $(INSTALL_DEFS) $(MK_SRCS) $(MK_LIBS) -o $@; fi

install: all $(B)/install/mkrdinit
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(LIBDIR)/stacks $(DESTDIR)$(SHAREDIR)/modules \
		$(DESTDIR)$(SHAREDIR)/conf $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DOCDIR)/hooks $(DESTDIR)$(DOCDIR)/docs
	install -m 0755 $(B)/install/mkrdinit $(DESTDIR)$(PREFIX)/sbin/mkrdinit
	install -m 0755 $(B)/rdinit $(DESTDIR)$(LIBDIR)/rdinit
	install -m 0755 $(B)/stacks/sbin/* $(DESTDIR)$(LIBDIR)/stacks/
	# what make ARCH=arm64 built, if it ran and INSTALL_CROSS has arm64: mkrdinit --arch arm64
	# takes it from there
	if [ -n "$(filter arm64,$(INSTALL_CROSS))" ] && [ -x $(DIR_arm64)/rdinit ]; then \
		install -d $(DESTDIR)$(LIBDIR)/arm64 && \
		install -m 0755 $(DIR_arm64)/rdinit $(DESTDIR)$(LIBDIR)/arm64/rdinit; fi
	if [ -n "$(filter arm64,$(INSTALL_CROSS))" ] && [ -x $(DIR_arm64)/stacks/sbin/cryptsetup ]; then \
		install -d $(DESTDIR)$(LIBDIR)/arm64/stacks && \
		install -m 0755 $(DIR_arm64)/stacks/sbin/* $(DESTDIR)$(LIBDIR)/arm64/stacks/; fi
	install -m 0644 modules/*.list $(DESTDIR)$(SHAREDIR)/modules/
	install -d $(DESTDIR)$(SHAREDIR)/modules/arm64
	install -m 0644 modules/arm64/*.list $(DESTDIR)$(SHAREDIR)/modules/arm64/
	install -m 0644 conf/rdinit.conf $(DESTDIR)$(SHAREDIR)/conf/rdinit.conf
	install -m 0644 init.conf.example README.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 docs/*.md $(DESTDIR)$(DOCDIR)/docs/
	install -m 0644 hooks/* $(DESTDIR)$(DOCDIR)/hooks/
	# initramfs-tools: the hook (looking for rdinit where this installs it); its switch, off, below
	install -d $(DESTDIR)$(PREFIX)/share/initramfs-tools/hooks \
		$(DESTDIR)$(SYSCONFDIR)/initramfs-tools/conf.d
	sed 's|/usr/lib/rdinit|$(LIBDIR)|g' packaging/initramfs-tools/hooks/rdinit \
		>$(DESTDIR)$(PREFIX)/share/initramfs-tools/hooks/rdinit
	chmod 0755 $(DESTDIR)$(PREFIX)/share/initramfs-tools/hooks/rdinit
	# the kernel packages' hooks (off until /etc/default/rdinit says RDINIT_KERNEL_HOOK=yes), and
	# update-initramfs' post-update hook that keeps their image when a trigger runs mkinitramfs
	install -d $(DESTDIR)$(SYSCONFDIR)/kernel/postinst.d $(DESTDIR)$(SYSCONFDIR)/kernel/postrm.d \
		$(DESTDIR)$(SYSCONFDIR)/default $(DESTDIR)$(SYSCONFDIR)/initramfs/post-update.d \
		$(DESTDIR)$(DOCDIR)/examples
	install -m 0755 packaging/kernel/postinst.d/zz-rdinit $(DESTDIR)$(SYSCONFDIR)/kernel/postinst.d/
	install -m 0755 packaging/kernel/postrm.d/zz-rdinit $(DESTDIR)$(SYSCONFDIR)/kernel/postrm.d/
	install -m 0755 packaging/initramfs-tools/post-update.d/00-rdinit \
		$(DESTDIR)$(SYSCONFDIR)/initramfs/post-update.d/
	# the switches are the user's configuration (RDINIT=y, RDINIT_KERNEL_HOOK=yes): one that
	# differs from the shipped version stays as it is, and the shipped one is in DOCDIR/examples
	# (not beside it: mkinitramfs sources every conf.d file whose name has no .dpkg-)
	install -m 0644 packaging/kernel/default $(DESTDIR)$(DOCDIR)/examples/default
	install -m 0644 packaging/initramfs-tools/conf.d/rdinit \
		$(DESTDIR)$(DOCDIR)/examples/initramfs-tools.conf
	for c in default:$(SYSCONFDIR)/default/rdinit \
		initramfs-tools.conf:$(SYSCONFDIR)/initramfs-tools/conf.d/rdinit; do \
		src="$(DESTDIR)$(DOCDIR)/examples/$${c%%:*}" dst="$(DESTDIR)$${c#*:}"; \
		if [ ! -e "$$dst" ] || cmp -s "$$src" "$$dst"; then install -m 0644 "$$src" "$$dst"; \
		else echo "make install: kept $$dst, which differs from the shipped $(DOCDIR)/examples/$${c%%:*}"; \
		fi || exit 1; done
	# dracut's module (dracut --add rdinit --omit systemd) and mkinitcpio's install hook
	install -d $(DESTDIR)$(PREFIX)/lib/dracut/modules.d/99rdinit $(DESTDIR)$(PREFIX)/lib/initcpio/install
	sed 's|/usr/lib/rdinit|$(LIBDIR)|g' packaging/dracut/99rdinit/module-setup.sh \
		>$(DESTDIR)$(PREFIX)/lib/dracut/modules.d/99rdinit/module-setup.sh
	sed 's|/usr/lib/rdinit|$(LIBDIR)|g' packaging/mkinitcpio/install/rdinit \
		>$(DESTDIR)$(PREFIX)/lib/initcpio/install/rdinit
	chmod 0755 $(DESTDIR)$(PREFIX)/lib/dracut/modules.d/99rdinit/module-setup.sh \
		$(DESTDIR)$(PREFIX)/lib/initcpio/install/rdinit
	for m in $(MANPAGES); do s=$${m##*.}; n=$${m##*/}; \
		gzip -9n <$$m >$(DESTDIR)$(MANDIR)/man$$s/$$n.gz && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man$$s/$$n.gz || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/mkrdinit $(DESTDIR)$(MANDIR)/man8/rdinit.8.gz \
		$(DESTDIR)$(MANDIR)/man8/mkrdinit.8.gz $(DESTDIR)$(MANDIR)/man5/rdinit.conf.5.gz
	rm -f $(DESTDIR)$(SYSCONFDIR)/kernel/postinst.d/zz-rdinit \
		$(DESTDIR)$(SYSCONFDIR)/kernel/postrm.d/zz-rdinit $(DESTDIR)$(SYSCONFDIR)/default/rdinit \
		$(DESTDIR)$(SYSCONFDIR)/initramfs/post-update.d/00-rdinit
	rm -rf $(DESTDIR)$(PREFIX)/lib/dracut/modules.d/99rdinit
	rm -f $(DESTDIR)$(PREFIX)/lib/initcpio/install/rdinit \
		$(DESTDIR)$(PREFIX)/share/initramfs-tools/hooks/rdinit \
		$(DESTDIR)$(SYSCONFDIR)/initramfs-tools/conf.d/rdinit
	rm -rf $(DESTDIR)$(LIBDIR) $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(DOCDIR)

FORCE:
.PHONY: install uninstall FORCE

# ---- unit tests: the same sources, linked with glibc, ASan and UBSan ----
UT := $(B)/unit
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UT_CFLAGS := -std=gnu11 -g -O1 $(WARN) $(SAN) -Iinit -Icommon $(MK_DEFS) \
	$(shell pkg-config --cflags cmocka libkmod libarchive 2>/dev/null)
UT_LIBS := $(shell pkg-config --libs cmocka libkmod libarchive 2>/dev/null)

# /init's sources but main.c, compiled for the host once and kept in an archive the tests link
# against: a test names its own file, and the linker takes from libinit.a what it calls (a test
# that stands in for a wing, test_event.c for the modules and block wings, defines those
# functions itself, and the archive's copies stay out)
UT_OBJ := $(UT)/obj
LIBINIT_SRCS := $(filter-out init/main.c,$(INIT_SRCS))
$(UT_OBJ)/%.o: %.c $(INIT_HDRS) $(MK_HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(UT_CFLAGS) -c $< -o $@
$(UT)/libinit.a: $(patsubst %.c,$(UT_OBJ)/%.o,$(LIBINIT_SRCS))
	@rm -f $@
	ar rcs $@ $^
INIT_TEST_LIBS := $(shell pkg-config --libs blkid mount 2>/dev/null) -llzma -lzstd -lz

# make unit: what needs only host packages (no musl sysroot, stack tools or kernel)
UNIT_TESTS := $(UT)/test_cmdline $(UT)/test_conf $(UT)/test_rootspec $(UT)/test_uevent \
	$(UT)/test_switchroot $(UT)/test_archive \
	$(UT)/test_devices $(UT)/test_coldplug $(UT)/test_event $(UT)/test_log $(UT)/test_elf \
	$(UT)/test_fstab $(UT)/test_hooks $(UT)/test_stacks $(UT)/test_systemd $(UT)/test_ramroot \
	$(UT)/test_arch $(UT)/test_modprobe $(UT)/test_shutdown $(UT)/test_wait $(UT)/test_loop \
	$(UT)/test_crypttab
# make unit-kernel: the module closure and module files of Debian's kernel, the one the VM tests
# boot, and the frames mkrdinit writes
UNIT_KERNEL_TESTS := $(UT)/test_mkrdinit_closure $(UT)/test_modfile

$(UT)/test_cmdline: tests/unit/test_cmdline.c $(UT)/libinit.a
$(UT)/test_conf: tests/unit/test_conf.c $(UT)/libinit.a
$(UT)/test_rootspec: tests/unit/test_rootspec.c $(UT)/libinit.a
$(UT)/test_uevent: tests/unit/test_uevent.c $(UT)/libinit.a
$(UT)/test_switchroot: tests/unit/test_switchroot.c $(UT)/libinit.a
$(UT)/test_systemd: tests/unit/test_systemd.c $(UT)/libinit.a
$(UT)/test_ramroot: tests/unit/test_ramroot.c $(UT)/libinit.a
$(UT)/test_modfile: tests/unit/test_modfile.c $(UT)/libinit.a
$(UT)/test_devices: tests/unit/test_devices.c $(UT)/libinit.a
$(UT)/test_coldplug: tests/unit/test_coldplug.c $(UT)/libinit.a
$(UT)/test_hooks: tests/unit/test_hooks.c $(UT)/libinit.a
$(UT)/test_log: tests/unit/test_log.c $(UT)/libinit.a
$(UT)/test_modprobe: tests/unit/test_modprobe.c $(UT)/libinit.a
$(UT)/test_shutdown: tests/unit/test_shutdown.c $(UT)/libinit.a
$(UT)/test_fstab: tests/unit/test_fstab.c $(UT)/libinit.a
$(UT)/test_event: tests/unit/test_event.c $(UT)/libinit.a
$(UT)/test_stacks: tests/unit/test_stacks.c $(UT)/libinit.a
$(UT)/test_wait: tests/unit/test_wait.c $(UT)/libinit.a
$(UT)/test_loop: tests/unit/test_loop.c $(UT)/libinit.a
# /init's crypttab reading (libinit.a) beside mkrdinit's (packaging/cryptfile.c)
$(UT)/test_crypttab: tests/unit/test_crypttab.c packaging/cryptfile.c $(UT)/libinit.a
$(UT)/test_mkrdinit_closure: tests/unit/test_mkrdinit_closure.c packaging/closure.c packaging/confine.c \
	common/modname.c $(MK_HDRS)
$(UT)/test_archive: tests/unit/test_archive.c packaging/archive.c common/modname.c $(MK_HDRS)
$(UT)/test_elf: tests/unit/test_elf.c packaging/elf.c $(MK_HDRS)
$(UT)/test_arch: tests/unit/test_arch.c packaging/arch.c $(MK_HDRS)
# packaging/ on the quote path only: its elf.h and archive.h must not stand in for <elf.h>
# and libarchive's <archive.h>
PKG_TESTS := $(UT)/test_mkrdinit_closure $(UT)/test_archive $(UT)/test_elf $(UT)/test_arch \
	$(UT)/test_crypttab
$(PKG_TESTS): UT_CFLAGS += -iquote packaging
$(UT)/test_modfile: UT_CFLAGS += -DRDINIT_MKRDINIT='"$(CURDIR)/$(B)/mkrdinit"'
$(UNIT_TESTS) $(UNIT_KERNEL_TESTS):
	@mkdir -p $(UT)
	$(HOST_CC) $(UT_CFLAGS) $(filter %.c,$^) $(filter %.a,$^) $(UT_LIBS) \
		$(if $(filter %.a,$^),$(INIT_TEST_LIBS)) -o $@

# and no two files of init/ calling each other (tests/unit/calls.sh, on libinit.a's objects)
unit: $(UNIT_TESTS) $(UT)/libinit.a
	@sh tests/unit/calls.sh $(UT_OBJ)/init
	@sh tests/unit/run.sh $(UNIT_TESTS)

unit-kernel: $(UNIT_KERNEL_TESTS) $(B)/mkrdinit
	@set -e; set -- $$(sh build-aux/kernel.sh $(B)/kernel); \
	RDINIT_TEST_KVER=$$1 RDINIT_TEST_KDIR=$$2 sh tests/unit/run.sh $(UNIT_KERNEL_TESTS)

vm: all
	bash tests/vm/run.sh -a $(ARCH) -j2

# Everything for both architectures. With make -j2 the two builds overlap: most of their
# time is configure scripts, one process each.
all-arches: $(foreach a,$(ARCHES),$(DIR_$(a))/rdinit $(DIR_$(a))/stacks/sbin/cryptsetup) \
	$(B)/mkrdinit
.PHONY: all-arches

# both architectures: the arm64 VM subset boots build/arm64/rdinit
check: bootstrap
	$(MAKE) -j2 all-arches
	sh tests/check.sh

# the docs against the tree: rdinit(8) against the options rdinit reads, init.conf.example
# against rdinit(8), docs/HACKING.md's Layout against the files (also part of make check)
check-docs:
	@sh tests/docs.sh

# mkrdinit's command line against Debian's kernel (also part of make check)
mkrdinit-test: all
	bash tests/mkrdinit/run.sh

# Benchmarks, not tests (run as root; one after the other, never in parallel):
# image generation against mkinitramfs and dracut, then boot time against busybox and C
# floors, tiny-initramfs, initramfs-tools and dracut, and with 1, 8 and 32 disks; then LUKS2 and
# LVM-on-LUKS roots against a plain one
bench: all
	bash tests/bench/mkrdinit.sh 3
	bash tests/bench/boot.sh 5
	bash tests/bench/stacks.sh 5

# libFuzzer (clang) on the parsers; make check runs the same for a few seconds
fuzz:
	bash tests/fuzz/run.sh 60

# ---- the sources: build-aux/sources.lock, its cache, and an offline source bundle ----
VERSION := $(shell awk 'NR == 1 { gsub(/[()]/, "", $$2); print $$2 }' debian/changelog)
DIST := rdinit-$(VERSION)

# the project's tracked files as they are in the work tree, and sources/: every source package
# the lock pins, as the build takes them (build-aux/debsrc.sh reads sources/ first, so building
# from the tarball, dpkg-buildpackage included, needs no network and no change to /etc/apt);
# reproducible: names sorted, one time stamp (the last commit's), no owners
dist:
	@rm -rf $(B)/dist && mkdir -p $(B)/dist/$(DIST)
	git ls-files -z | xargs -0 cp -a --parents -t $(B)/dist/$(DIST)
	sh build-aux/sources.sh bundle $(B)/dist/$(DIST)/sources
	tar -C $(B)/dist --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime=@$$(git log -1 --format=%ct) -cf - $(DIST) | xz -T1 -6 >$(B)/$(DIST).tar.xz
	@rm -rf $(B)/dist
	@echo "dist: $(B)/$(DIST).tar.xz"

# rewrite the lock from what the archive serves now, then build both architectures from it
update-lock:
	sh build-aux/sources.sh update-lock
	$(MAKE) -j2 all-arches

# the README's commands on a fresh minbase Debian 12 (mmdebstrap from this machine's apt
# sources), from a clone of this tree, and the offline package build from make dist: not
# part of make check (it takes about an hour); FRESH_ARCHES=x86_64 leaves arm64 out
check-fresh: bootstrap
	bash tests/build/fresh.sh

demo: bootstrap
	$(MAKE) all
	VM_ARCH=$(ARCH) bash tests/vm/demo.sh

clean:
	rm -rf $(B)/rdinit $(B)/mkrdinit $(B)/install $(UT) $(B)/vm $(DIR_arm64)/rdinit \
		$(DIR_arm64)/vm

distclean:
	rm -rf $(B)

.PHONY: all bootstrap unit unit-kernel vm check fuzz demo clean distclean mkrdinit-test bench \
	dist update-lock check-fresh check-docs
