"""With compute emulation on (berth_emulator/compute), an EC2 instance runs its user data: a
shell script runs once at launch, as root, in a sandbox that looks like the image (compute/
instances.py and shims.py), with its output on the console that GetConsoleOutput returns. A
shutdown from inside the instance stops it, or terminates it when it was launched with
InstanceInitiatedShutdownBehavior `terminate`, and its stateReason says the instance initiated
it; stopping or terminating it through the API shuts its processes down. Its private IP, in
RunInstances and DescribeInstances (and its network interface), is its loopback address.

moto 5.2.1 runs nothing: user data is stored but never run, GetConsoleOutput returns the same
fixed text for every instance, an instance is running until the API stops it, and its private
IP is an address of the subnet that no process listens on.

AWS sources:
- RunInstances `UserData` and `InstanceInitiatedShutdownBehavior` ("Indicates whether an
  instance stops or terminates when you initiate shutdown from the instance (using the
  operating system command for system shutdown). Default: stop"),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RunInstances.html
- User data scripts run as root by cloud-init at first launch, output to the console log,
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html
- GetConsoleOutput (the most recent 64 KB of console output, base64),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetConsoleOutput.html
- StateReason codes (`Client.InstanceInitiatedShutdown`: "The instance was shut down from the
  operating system of the instance"; `Server.SpotInstanceTermination`),
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StateReason.html
- Spot interruptions (a Spot instance is stopped or terminated when EC2 needs the capacity back),
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-interruptions.html
"""

import base64
import re

from ..compute import enabled_for
from ..compute.addresses import ADDRESSES, rewrite_xml
from ..compute.instances import INSTANCES, image_has_docker, rewrite_state_reasons
from ..registry import after
from ..upstream import parse_xml

OUTPUT = re.compile(rb"<output>.*?</output>", re.S)


def known_instances(call):
    return bool(INSTANCES.all())


@after("ec2", "RunInstances", when=enabled_for)
def launch(call, response):
    if response.status != 200:
        return response
    root = parse_xml(response.body)
    has_docker = image_has_docker(call, call.form.get("ImageId", ""))
    for item in root.iter("item"):
        instance_id = item.findtext("instanceId")
        if instance_id and instance_id.startswith("i-") and INSTANCES.get(instance_id) is None:
            INSTANCES.launch(call, instance_id, item.findtext("privateIpAddress"), call.form, has_docker)
    return response._replace(body=rewrite_xml(response.body, ADDRESSES.mapping(call.account, call.region)))


@after("ec2", "DescribeInstances", when=known_instances)
def describe(call, response):
    if response.status != 200:
        return response
    body = rewrite_xml(response.body, ADDRESSES.mapping(call.account, call.region))
    return response._replace(body=rewrite_state_reasons(body))


@after("ec2", "StopInstances", "TerminateInstances", when=known_instances)
def shut_down(call, response):
    if response.status == 200:
        state = "terminated" if call.action == "TerminateInstances" else "stopped"
        for name, value in call.form.items():
            instance = INSTANCES.get(value) if name.startswith("InstanceId.") else None
            if instance is not None:
                instance.shut_down(state)
    return response


@after("ec2", "GetConsoleOutput", when=known_instances)
def console_output(call, response):
    instance = INSTANCES.get(call.form.get("InstanceId", ""))
    if response.status != 200 or instance is None:
        return response
    output = base64.b64encode(instance.console_output())
    return response._replace(body=OUTPUT.sub(lambda m: b"<output>" + output + b"</output>", response.body, count=1))
