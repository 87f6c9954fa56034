#!/usr/bin/env python3
"""imgsize.py IMAGE: print "COMPRESSED UNCOMPRESSED" byte counts of an initramfs image.
imgsize.py --split IMAGE: print the offset where the compressed stream starts (after the
uncompressed archives; the image's size when there is none).

An image is any number of uncompressed newc cpio archives (early microcode, firmware)
followed by at most one compressed stream (gzip, zstd, xz, lz4, bzip2, lzma), as the kernel
reads it. UNCOMPRESSED is the size of the uncompressed archives plus the decompressed size
of the rest (its compressor's own command does the decompressing).
"""
import subprocess
import sys

MAGICS = [
    (b"\x1f\x8b", ["gzip", "-dc"]),
    (b"\x28\xb5\x2f\xfd", ["zstd", "-dcq"]),
    (b"\xfd7zXZ\x00", ["xz", "-dc"]),
    (b"\x02\x21\x4c\x18", ["lz4", "-dcq"]),
    (b"\x04\x22\x4d\x18", ["lz4", "-dcq"]),
    (b"BZh", ["bzip2", "-dc"]),
    (b"\x5d\x00\x00", ["xz", "--format=lzma", "-dc"]),
]


def skip_cpio(data, off):
    """Offset just past the newc archive starting at off, and its trailing zero padding."""
    while data[off:off + 6] in (b"070701", b"070702"):
        namesize = int(data[off + 94:off + 102], 16)
        filesize = int(data[off + 54:off + 62], 16)
        name = data[off + 110:off + 110 + namesize - 1]
        off = (off + 110 + namesize + 3) & ~3
        off = (off + filesize + 3) & ~3
        if name == b"TRAILER!!!":
            break
    while off < len(data) and data[off] == 0:
        off += 1
    return off


def split(data):
    """Offset just past the uncompressed archives at the start of data."""
    off = 0
    while data[off:off + 6] in (b"070701", b"070702"):
        off = skip_cpio(data, off)
    return off


def main():
    if sys.argv[1] == "--split":
        print(split(open(sys.argv[2], "rb").read()))
        return
    data = open(sys.argv[1], "rb").read()
    off = split(data)
    total = off
    rest = data[off:]
    if rest:
        for magic, cmd in MAGICS:
            if rest.startswith(magic):
                # ignore the exit status: some tools complain about trailing padding
                out = subprocess.run(cmd, input=rest, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL).stdout
                total += len(out)
                break
        else:
            total += len(rest)
    print(len(data), total)


if __name__ == "__main__":
    main()
