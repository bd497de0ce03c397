"""Loopback addresses for emulated tasks and instances: each gets its own 127.x.y.z as its
private IP, so a scheduler on one and a worker on another both listen on :8786 and :8787 as
they would on two hosts. On Linux every address in 127.0.0.0/8 reaches the loopback interface
without configuration.

Several emulators may run on one machine (each worktree's tests start their own), so each
takes a random /24 block outside 127.0.0.0/16 and skips any address whose Dask ports are
already taken. Addresses are not reused while the emulator runs: a client still holding an old
scheduler address must not reach a new cluster.

moto gives each network interface and instance a private address of its own (from the subnet
for instances, a random 10.x for tasks' interfaces); `rewrite_xml` swaps those for the
loopback ones in EC2 answers, so DescribeInstances, DescribeNetworkInterfaces and the ECS
attachments agree."""

import random
import re
import socket
import threading

DASK_PORTS = (8786, 8787)


class Addresses:
    def __init__(self, rng=None):
        self.lock = threading.Lock()
        rng = rng or random.SystemRandom()
        self.block = [rng.randint(1, 254), rng.randint(0, 255)]
        self.next_host = 1
        self.moto_to_loopback = {}  # (account, region, moto's private IP) -> loopback address

    def allocate(self):
        """A fresh loopback address whose Dask ports nobody on this machine is using."""
        with self.lock:
            while True:
                if self.next_host > 254:
                    self.block[1] = (self.block[1] + 1) % 256
                    if self.block[1] == 0:
                        self.block[0] = self.block[0] % 254 + 1
                    self.next_host = 1
                address = f"127.{self.block[0]}.{self.block[1]}.{self.next_host}"
                self.next_host += 1
                if all(port_free(address, port) for port in DASK_PORTS):
                    return address

    def remember(self, account, region, moto_ip, loopback):
        if moto_ip:
            with self.lock:
                self.moto_to_loopback[(account, region, moto_ip)] = loopback

    def mapping(self, account, region):
        """{moto's private IP: loopback address} for one account and region."""
        with self.lock:
            return {ip: lo for (a, r, ip), lo in self.moto_to_loopback.items() if a == account and r == region}


def port_free(address, port):
    s = socket.socket()
    try:
        s.bind((address, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


IP_TEXT = re.compile(rb">(\d{1,3}(?:\.\d{1,3}){3})<")
DNS_NAME = re.compile(rb"ip-(\d{1,3}(?:-\d{1,3}){3})\.")


def rewrite_xml(body, mapping):
    """An EC2 answer with moto's private addresses (element text and ip-a-b-c-d DNS names)
    replaced by their loopback ones; unchanged when none is known."""
    if not mapping:
        return body
    encoded = {ip.encode(): lo.encode() for ip, lo in mapping.items()}
    body = IP_TEXT.sub(lambda m: b">" + encoded.get(m.group(1), m.group(1)) + b"<", body)
    dashed = {ip.replace(b".", b"-"): lo.replace(b".", b"-") for ip, lo in encoded.items()}
    return DNS_NAME.sub(lambda m: b"ip-" + dashed.get(m.group(1), m.group(1)) + b".", body)


ADDRESSES = Addresses()
