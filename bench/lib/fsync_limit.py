#!/usr/bin/env python3
"""The disk's limit for durable small-file writes: N files of SIZE bytes, each created, written,
fsync'd and closed, one after the other, in DIR (then the directory is fsync'd once per file too,
as a durable rename or create needs). Prints "files N seconds S bytes B".
With --direct, each file's whole 4 KiB blocks are written with O_DIRECT from one reused aligned
buffer and the rest through the page cache, as dicomnode's staging files are (docs/archive.md).

    fsync_limit.py --dir DIR --count 500 --size 527000 [--direct]
"""
import argparse
import fcntl
import mmap
import os
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--size", type=int, default=512 * 1024)
    ap.add_argument("--direct", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    payload = os.urandom(args.size)
    aligned = args.size // 4096 * 4096
    buffer = mmap.mmap(-1, max(aligned, 4096))     # page-aligned, as O_DIRECT needs
    buffer[:aligned] = payload[:aligned]
    dfd = os.open(args.dir, os.O_RDONLY)
    start = time.perf_counter()
    for i in range(args.count):
        path = os.path.join(args.dir, f"f{i:06d}")
        if args.direct:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o644)
            if aligned:
                os.write(fd, memoryview(buffer)[:aligned])
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_DIRECT)
            view = memoryview(payload)[aligned:]
        else:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            view = memoryview(payload)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
        os.close(fd)
        os.fsync(dfd)
    elapsed = time.perf_counter() - start
    os.close(dfd)
    print(f"files {args.count} seconds {elapsed:.6f} bytes {args.count * args.size}")


if __name__ == "__main__":
    main()
