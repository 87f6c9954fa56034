#!/bin/sh
# An example stage hook in shell: says on the console which stage rdinit reached and what it
# knows, and appends the same line to /run/rdinit/hooks-sh (which the real system finds in its
# /run). The image needs a shell: mkrdinit --shell /bin/busybox --hook mounted:example-log.sh
# (busybox runs its applets, mkdir here, without links to them).
line="stage=$RDINIT_STAGE root=${ROOT-} rootdev=${ROOTDEV-} rootfstype=${ROOTFSTYPE-}"
echo "example-log: $line"
[ -d /run/rdinit ] || mkdir -p /run/rdinit || exit 1
echo "$line" >>/run/rdinit/hooks-sh
