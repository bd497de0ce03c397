"""ECS tasks under the compute emulation: real Dask in sandboxes, and ECS's task lifecycle."""

import os
import time
import unittest

from tests_compute.stack import Stack, processes_with, wait_for
from tests_compute.tls import make_certificates

IMAGE = "ghcr.io/dask/dask:2026.7.1-py3.12"
CLUSTER = "compute-test"
STACK = None


def setUpModule():
    global STACK
    STACK = Stack().start()
    STACK.subnet, STACK.group = STACK.network()
    STACK.ecs("CreateCluster", {"clusterName": CLUSTER, "capacityProviders": ["FARGATE", "FARGATE_SPOT"]})


def tearDownModule():
    """Stops the emulator with tasks still running: none of their processes may outlive it."""
    addresses = [t["address"] for t in STACK.control("GET", "/__berth/compute")["tasks"]]
    register("left-running", ["sh", "-c", "while :; do sleep 0.1; done"])
    addresses.append(address_of(describe(run("left-running")["taskArn"])))
    code = STACK.stop()
    wait_for(lambda: not any(processes_with(f"BERTH_EMULATOR_ADDRESS={a}") for a in addresses), 15,
             "every task's processes to end with the emulator")
    if code != 0:
        raise AssertionError(f"the emulator exited {code} on SIGTERM:\n{STACK.log('emulator')[-2000:]}")
    STACK.remove_files()


def register(family, command, image=IMAGE, **container):
    STACK.ecs("RegisterTaskDefinition", {
        "family": family, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "1024", "memory": "2048",
        "containerDefinitions": [dict({"name": family, "image": image, "memory": 2048, "command": command}, **container)]})


def run(family, spot=False):
    placement = ({"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]} if spot
                 else {"launchType": "FARGATE"})
    answer = STACK.ecs("RunTask", dict({"cluster": CLUSTER, "taskDefinition": family, "networkConfiguration": {
        "awsvpcConfiguration": {"subnets": [STACK.subnet], "securityGroups": [STACK.group]}}}, **placement))
    return answer["tasks"][0]


def describe(arn):
    return STACK.describe_task(arn, CLUSTER)


def stopped(arn, timeout=60):
    return wait_for(lambda: (lambda t: t if t["lastStatus"] == "STOPPED" else None)(describe(arn)), timeout,
                    "the task to be STOPPED")


def address_of(task):
    return task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]


HEALTH = {"command": ["CMD-SHELL", "python -c \"import urllib.request; urllib.request.urlopen('http://localhost:8787/health')\""],
          "interval": 5, "timeout": 5, "retries": 3}


class DaskTests(unittest.TestCase):
    def test_a_dask_client_computes_on_a_scheduler_and_worker_over_tls(self):
        from distributed import Client
        from distributed.security import Security

        ca, certs = make_certificates(os.path.join(STACK.dir, "cluster"))
        other_ca, stranger = make_certificates(os.path.join(STACK.dir, "other"), names=("client",))

        def tls(role):
            return ["--tls-ca-file", ca, "--tls-cert", certs[role][0], "--tls-key", certs[role][1]]
        register("scheduler", ["dask", "scheduler", "--protocol", "tls", *tls("scheduler")], healthCheck=HEALTH)
        scheduler = run("scheduler")
        self.assertEqual(scheduler["lastStatus"], "PROVISIONING")
        address = address_of(describe(scheduler["taskArn"]))
        self.assertRegex(address, r"^127\.\d+\.\d+\.\d+$")
        eni = STACK.ec2("DescribeNetworkInterfaces", {"Filter.1.Name": "subnet-id", "Filter.1.Value.1": STACK.subnet})
        self.assertIn(address, [e.text for e in eni.iter("privateIpAddress")])

        register("worker", ["dask", "worker", f"tls://{address}:8786", "--name", "worker-1", "--nthreads", "1",
                            "--no-nanny", "--death-timeout", "60", "--dashboard-address", ":8787", *tls("worker")],
                 healthCheck=HEALTH)
        worker = run("worker")
        self.assertNotEqual(address_of(describe(worker["taskArn"])), address)
        for arn in (scheduler["taskArn"], worker["taskArn"]):
            wait_for(lambda: describe(arn)["healthStatus"] == "HEALTHY", 90, "the task's health checks to pass")

        security = Security(tls_ca_file=ca, tls_client_cert=certs["client"][0], tls_client_key=certs["client"][1],
                            require_encryption=True)
        with Client(f"tls://{address}:8786", security=security, timeout=30) as client:
            self.assertEqual(client.submit(sum, range(100)).result(timeout=30), 4950)
            self.assertEqual(list(client.scheduler_info()["workers"].values())[0]["name"], "worker-1")
        # A certificate the cluster's CA did not sign: the scheduler refuses the handshake.
        intruder = Security(tls_ca_file=ca, tls_client_cert=stranger["client"][0],
                            tls_client_key=stranger["client"][1], require_encryption=True)
        with self.assertRaises(OSError):
            Client(f"tls://{address}:8786", security=intruder, timeout=3)

        for arn in (worker["taskArn"], scheduler["taskArn"]):
            STACK.ecs("StopTask", {"cluster": CLUSTER, "task": arn, "reason": "test done"})
        for arn in (worker["taskArn"], scheduler["taskArn"]):
            task = stopped(arn)
            self.assertEqual((task["stopCode"], task["stoppedReason"]), ("UserInitiated", "test done"))
            self.assertEqual(task["containers"][0]["exitCode"], 0)  # Dask exits cleanly on SIGTERM


class LifecycleTests(unittest.TestCase):
    def test_stop_task_sends_sigterm_then_sigkill_after_the_stop_timeout(self):
        register("stubborn", ["sh", "-c", "trap 'echo ignoring TERM' TERM; while :; do sleep 0.1; done"], stopTimeout=2)
        arn = run("stubborn")["taskArn"]
        wait_for(lambda: describe(arn)["lastStatus"] == "RUNNING", 30, "RUNNING")
        asked = time.monotonic()
        answer = STACK.ecs("StopTask", {"cluster": CLUSTER, "task": arn})["task"]
        self.assertEqual(answer["desiredStatus"], "STOPPED")
        task = stopped(arn)
        self.assertGreaterEqual(time.monotonic() - asked, 1.9, "SIGKILL came before the stop timeout")
        self.assertEqual(task["containers"][0]["exitCode"], 137)
        self.assertEqual((task["stopCode"], task["stoppedReason"]), ("UserInitiated", "Task stopped by user"))

    def test_an_essential_container_that_exits_stops_the_task_with_its_exit_code(self):
        register("exits", ["sh", "-c", "exit 3"])
        task = stopped(run("exits")["taskArn"])
        self.assertEqual(task["stopCode"], "EssentialContainerExited")
        self.assertEqual(task["stoppedReason"], "Essential container in task exited")
        self.assertEqual(task["containers"][0]["exitCode"], 3)
        self.assertEqual(task["desiredStatus"], "STOPPED")

    def test_an_image_the_emulation_cannot_pull(self):
        register("badimage", ["dask", "scheduler"], image="ghcr.io/dask/dask:no-such-tag")
        task = stopped(run("badimage")["taskArn"])
        self.assertEqual(task["stopCode"], "TaskFailedToStart")
        self.assertTrue(task["stoppedReason"].startswith("CannotPullContainerError:"), task["stoppedReason"])
        self.assertIn("ghcr.io/dask/dask:no-such-tag", task["containers"][0]["reason"])
        self.assertNotIn("exitCode", task["containers"][0])

    def test_a_command_that_does_not_exist(self):
        register("nocommand", ["no-such-command"])
        task = stopped(run("nocommand")["taskArn"])
        self.assertEqual(task["stopCode"], "TaskFailedToStart")
        self.assertIn("CannotStartContainerError", task["stoppedReason"])

    def test_spot_interruption_and_kill(self):
        # Healthy once its TERM trap is set: a PID 1 ignores signals it has no handler for.
        register("graceful", ["sh", "-c", "trap 'exit 0' TERM; touch /tmp/ready; while :; do sleep 0.1; done"],
                 healthCheck={"command": ["CMD", "test", "-f", "/tmp/ready"], "interval": 5})
        spot, on_demand = run("graceful", spot=True)["taskArn"], run("graceful")["taskArn"]
        for arn in (spot, on_demand):
            wait_for(lambda: describe(arn)["healthStatus"] == "HEALTHY", 30, "HEALTHY")
        refused = STACK.control("POST", "/__berth/compute/interrupt", {"task": on_demand}, expect=400)
        self.assertIn("FARGATE_SPOT", refused["error"])

        STACK.control("POST", "/__berth/compute/interrupt", {"task": spot})
        task = stopped(spot)
        self.assertEqual((task["stopCode"], task["stoppedReason"]), ("SpotInterruption", "Your Spot Task was interrupted."))
        self.assertEqual(task["containers"][0]["exitCode"], 0)  # it got SIGTERM and exited

        STACK.control("POST", "/__berth/compute/kill", {"task": on_demand})
        task = stopped(on_demand, timeout=10)
        self.assertEqual(task["containers"][0]["exitCode"], 137)
        self.assertEqual(task["stopCode"], "EssentialContainerExited")

    def test_a_failing_health_check_makes_the_task_unhealthy_but_keeps_it_running(self):
        register("sick", ["sh", "-c", "while :; do sleep 0.1; done"],
                 healthCheck={"command": ["CMD-SHELL", "exit 1"], "interval": 5, "retries": 1})
        arn = run("sick")["taskArn"]
        self.assertEqual(describe(arn)["healthStatus"], "UNKNOWN")
        wait_for(lambda: describe(arn)["healthStatus"] == "UNHEALTHY", 30, "UNHEALTHY")
        self.assertEqual(describe(arn)["lastStatus"], "RUNNING")
        STACK.control("POST", "/__berth/compute/kill", {"task": arn})
        stopped(arn, timeout=10)


if __name__ == "__main__":
    unittest.main()
