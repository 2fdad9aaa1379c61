#!/usr/bin/env python3
"""Prints a TCP port on 127.0.0.1 for a test's server, handed out by the same
counter file as the C++ tests' free_port() (tests/test_support.h): a port in
20000-32767, below Linux's ephemeral range, once per pass over the range.

Usage: tests/free_port.py BUILD_DIR [COUNT]
"""
import fcntl
import os
import socket
import sys

FIRST, COUNT = 20000, 12768


def bindable(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def main():
    path = os.path.join(sys.argv[1], "test-ports.counter")
    wanted = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    text = os.pread(fd, 31, 0).decode().strip()
    n = int(text) if text else os.getpid() % COUNT
    ports = []
    for _ in range(COUNT):
        if len(ports) == wanted:
            break
        if bindable(FIRST + n % COUNT):
            ports.append(FIRST + n % COUNT)
        n += 1
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{n % COUNT}\n".encode(), 0)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    if len(ports) < wanted:
        sys.exit("free_port.py: no free port in 20000-32767")
    print(" ".join(map(str, ports)))


if __name__ == "__main__":
    main()
