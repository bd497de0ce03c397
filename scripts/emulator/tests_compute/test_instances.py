"""EC2 instances under the compute emulation: user data in a sandbox with shims, real Dask
through `docker run --net=host`, shutdown behaviour, console output, Spot interruption."""

import base64
import signal
import textwrap
import unittest

from tests_compute.stack import Stack, processes_with, wait_for

IMAGE = "ghcr.io/dask/dask:2026.7.1-py3.12"
AMI = "ami-760aaa0f"  # one of moto's Amazon Linux images: no Docker until dnf installs it
STACK = None


def setUpModule():
    global STACK
    STACK = Stack().start()
    STACK.subnet, STACK.group = STACK.network()


def tearDownModule():
    """SIGKILLs the emulator with instances running: none of their processes may outlive it."""
    addresses = [i["address"] for i in STACK.control("GET", "/__berth/compute")["instances"]]
    left_running = launch("#!/bin/sh\nsleep 1000\n")
    addresses.append(private_ip(left_running))
    wait_for(lambda: processes_with(f"BERTH_EMULATOR_ADDRESS={addresses[-1]}"), 30, "the user data to run")
    STACK.stop(emulator_signal=signal.SIGKILL)
    wait_for(lambda: not any(processes_with(f"BERTH_EMULATOR_ADDRESS={a}") for a in addresses), 15,
             "every instance's processes to end with the emulator")
    STACK.remove_files()


def launch(user_data, spot=False, **params):
    form = {"ImageId": AMI, "MinCount": "1", "MaxCount": "1", "InstanceType": "m6i.large", "SubnetId": STACK.subnet,
            "SecurityGroupId.1": STACK.group, "UserData": base64.b64encode(user_data.encode()).decode(), **params}
    if spot:
        form["InstanceMarketOptions.MarketType"] = "spot"
    return STACK.ec2("RunInstances", form).findtext(".//instancesSet/item/instanceId")


def private_ip(instance_id):
    return STACK.instance(instance_id).findtext("privateIpAddress")


def state(instance_id):
    item = STACK.instance(instance_id)
    return item.findtext("instanceState/name"), item.findtext("stateReason/code")


def console_shows(instance_id, text, timeout=60):
    return wait_for(lambda: text in STACK.console(instance_id), timeout, f"{text!r} on the console of {instance_id}")


class DaskOnInstancesTests(unittest.TestCase):
    def test_user_data_runs_dask_with_docker_and_the_instance_terminates_when_it_exits(self):
        from distributed import Client

        scheduler = launch(textwrap.dedent(f"""\
            #!/bin/bash
            set -u
            command -v docker >/dev/null || {{ echo "no docker on this image"; dnf install -y docker; }}
            systemctl enable --now docker
            echo "berth: scheduler starting on $(hostname), instance $(cat /var/lib/cloud/data/instance-id)"
            docker run --rm --net=host {IMAGE} dask scheduler --port 8786 --dashboard-address :8787
            echo "berth: scheduler exited $?"
            shutdown -h now
            """), InstanceInitiatedShutdownBehavior="terminate")
        address = private_ip(scheduler)
        self.assertRegex(address, r"^127\.\d+\.\d+\.\d+$")
        eni = STACK.ec2("DescribeNetworkInterfaces", {"Filter.1.Name": "attachment.instance-id",
                                                      "Filter.1.Value.1": scheduler})
        self.assertIn(address, [e.text for e in eni.iter("privateIpAddress")])
        console_shows(scheduler, "no docker on this image")
        console_shows(scheduler, f"berth: scheduler starting on ip-{address.replace('.', '-')}")
        console_shows(scheduler, f"instance {scheduler}")

        worker = launch(f"#!/bin/sh\nsystemctl start docker 2>&1\ndnf install -y docker >/dev/null\n"
                        f"systemctl start docker\nexec docker run --net=host {IMAGE} dask worker tcp://{address}:8786 "
                        f"--name worker-on-vm --nthreads 1 --no-nanny\n")
        console_shows(worker, "Unit docker.service not found")  # started before it was installed
        with Client(f"tcp://{address}:8786", timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
            self.assertEqual(client.submit(sum, range(100)).result(timeout=30), 4950)
            worker_address = list(client.scheduler_info()["workers"])[0]
            self.assertTrue(worker_address.startswith(f"tcp://{private_ip(worker)}:"), worker_address)
            client.shutdown()  # the scheduler exits, so does its container, then the user data shuts down

        console_shows(scheduler, "berth: scheduler exited 0")
        wait_for(lambda: state(scheduler) == ("terminated", "Client.InstanceInitiatedShutdown"), 30,
                 "the scheduler instance to terminate itself")
        STACK.ec2("TerminateInstances", {"InstanceId.1": worker})
        wait_for(lambda: not processes_with(f"BERTH_EMULATOR_ADDRESS={private_ip(worker)}"), 30,
                 "the worker instance's processes to end")


class InstanceLifecycleTests(unittest.TestCase):
    def test_an_image_that_ships_docker_runs_its_containers_without_installing_it(self):
        """An ECS-optimized image (name contains "ecs") has Docker running from the start; the
        host's own docker client must not shadow the image's (it talks to no daemon here)."""
        root = STACK.ec2("DescribeImages", {"Owner.1": "amazon", "Filter.1.Name": "name", "Filter.1.Value.1": "*ecs*"})
        ami = root.findtext(".//imagesSet/item/imageId")
        self.assertTrue(ami, "moto lists no ECS-optimized image")
        instance = launch(textwrap.dedent(f"""\
            #!/bin/bash
            systemctl enable --now docker
            BERTH_PROBE=passed-by-name docker run --rm --net=host -e BERTH_PROBE {IMAGE} python -c 'import os; print("container says", os.environ["BERTH_PROBE"])'
            echo "docker exited $?"
            """), ImageId=ami)
        console_shows(instance, "docker exited", timeout=90)
        self.assertIn("container says passed-by-name", STACK.console(instance))
        self.assertIn("docker exited 0", STACK.console(instance))

    def test_a_shutdown_from_inside_stops_an_instance_by_default(self):
        instance = launch("#!/bin/sh\necho 'going down'\nshutdown -h now\n")
        console_shows(instance, "going down")
        wait_for(lambda: state(instance) == ("stopped", "Client.InstanceInitiatedShutdown"), 30, "stopped")

    def test_spot_interruption_and_kill(self):
        spot = launch("#!/bin/sh\necho up\nexec sleep 1000\n", spot=True)
        on_demand = launch("#!/bin/sh\necho up\nexec sleep 1000\n")
        for instance in (spot, on_demand):
            console_shows(instance, "up")
        refused = STACK.control("POST", "/__berth/compute/interrupt", {"instance": on_demand}, expect=400)
        self.assertIn("Spot", refused["error"])

        STACK.control("POST", "/__berth/compute/interrupt", {"instance": spot})
        wait_for(lambda: state(spot) == ("terminated", "Server.SpotInstanceTermination"), 30, "interrupted")
        wait_for(lambda: not processes_with(f"BERTH_EMULATOR_ADDRESS={private_ip(spot)}"), 30, "its processes to end")

        marker = f"BERTH_EMULATOR_ADDRESS={private_ip(on_demand)}"
        self.assertTrue(processes_with(marker))
        STACK.control("POST", "/__berth/compute/kill", {"instance": on_demand})
        wait_for(lambda: not processes_with(marker), 10, "the killed instance's processes to end")
        self.assertEqual(state(on_demand)[0], "running")  # a crash, not a shutdown
        STACK.ec2("TerminateInstances", {"InstanceId.1": on_demand})


if __name__ == "__main__":
    unittest.main()
