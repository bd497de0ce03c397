"""With compute emulation on, the network interface of an emulated task or instance reports the
same private IP as the task or instance: its loopback address (compute/addresses.py).

moto 5.2.1 gives a task's interface a random 10.x address, and an instance's one of its subnet,
which no emulated process listens on.

AWS source: DescribeNetworkInterfaces (`privateIpAddress`, "The IPv4 address of the network
interface within the subnet"; the same address as the attached instance's or task's),
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html
"""

from ..compute.addresses import ADDRESSES, rewrite_xml
from ..registry import after


@after("ec2", "DescribeNetworkInterfaces", when=lambda call: ADDRESSES.mapping(call.account, call.region))
def loopback_addresses(call, response):
    if response.status != 200:
        return response
    return response._replace(body=rewrite_xml(response.body, ADDRESSES.mapping(call.account, call.region)))
