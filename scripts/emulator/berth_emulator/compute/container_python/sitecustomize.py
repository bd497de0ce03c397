"""A container's network as Python programs in Berth's compute emulation see it.

On AWS a task (awsvpc) or an instance has its own network interface; a program that listens on
all interfaces, or on localhost, has those ports to itself, and the address it finds for
itself (Dask asks which source address would reach 8.8.8.8) is its private IP. In the
emulation every task shares the host's network, and its private IP is a loopback address
(127.x.y.z, in BERTH_EMULATOR_ADDRESS). The emulator puts this folder on PYTHONPATH, and for
IPv4 sockets:
  - binding to all interfaces (""/0.0.0.0) or to localhost binds to the task's address, and
    connecting to localhost connects there (the task's localhost is its own);
  - the source address a UDP socket would use, found by connecting it (no packet is sent), is
    the task's address;
  - socket.has_ipv6 is False, so servers that bind every family (Tornado) bind IPv4 only.
Nothing happens without BERTH_EMULATOR_ADDRESS. Programs in other languages see the host's
network (their localhost is the host's), except that /etc/hosts in the sandbox maps localhost
and the hostname to the task's address."""

import os
import socket

ADDRESS = os.environ.get("BERTH_EMULATOR_ADDRESS")
LOCAL_NAMES = ("", "0.0.0.0", "127.0.0.1", "localhost")


def _own(host):
    return host in LOCAL_NAMES


def _install(address):
    bind, connect, connect_ex = socket.socket.bind, socket.socket.connect, socket.socket.connect_ex

    def target(sock, where):
        if sock.family != socket.AF_INET or not isinstance(where, tuple):
            return where
        host, port = where[0], where[1]
        if sock.type == socket.SOCK_DGRAM:
            if sock.getsockname() == ("0.0.0.0", 0):
                bind(sock, (address, 0))
            # A route lookup from the task's address: only loopback destinations have one.
            return (host, port) if str(host).startswith("127.") and host != "127.0.0.1" else (address, port)
        return (address, port) if host in ("127.0.0.1", "localhost") else where

    def own_bind(sock, where):
        if sock.family == socket.AF_INET and isinstance(where, tuple) and _own(where[0]):
            where = (address, where[1])
        return bind(sock, where)

    socket.socket.bind = own_bind
    socket.socket.connect = lambda sock, where: connect(sock, target(sock, where))
    socket.socket.connect_ex = lambda sock, where: connect_ex(sock, target(sock, where))
    socket.has_ipv6 = False


if ADDRESS:
    _install(ADDRESS)
