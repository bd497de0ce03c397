"""The compute emulation's pure parts (no process is started here; tests_compute runs them)."""

import os
import socket
import subprocess
import sys
import tempfile
import unittest

from berth_emulator.compute import SETTINGS, control as compute_control  # noqa: F401  (routes)
from berth_emulator import control
from berth_emulator.compute.addresses import Addresses, rewrite_xml
from berth_emulator.compute.containers import container_spec, hostname_for
from berth_emulator.compute.health import HealthCheck, task_health
from berth_emulator.compute.images import CUDA_BIN, DEFAULT_IMAGE, GPU_IMAGE, IMAGES, environment_for, environments
from berth_emulator.compute.instances import INSTANCES, instance_items, rewrite_state_reasons
from berth_emulator.compute.shims import parse_run
from berth_emulator.compute.tasks import reference


class AddressTests(unittest.TestCase):
    def test_fresh_loopback_addresses_skipping_taken_dask_ports(self):
        class Fixed:
            def randint(self, low, high):
                return 200
        addresses = Addresses(Fixed())
        taken = socket.socket()
        taken.bind(("127.200.200.1", 8786))  # another emulator's scheduler
        try:
            self.assertEqual(addresses.allocate(), "127.200.200.2")
            self.assertEqual(addresses.allocate(), "127.200.200.3")
        finally:
            taken.close()

    def test_moto_addresses_are_rewritten_in_ec2_answers(self):
        body = (b"<privateIpAddress>10.64.0.7</privateIpAddress><privateDnsName>ip-10-64-0-7.ec2.internal"
                b"</privateDnsName><privateIpAddress>10.64.0.70</privateIpAddress>")
        self.assertEqual(rewrite_xml(body, {"10.64.0.7": "127.1.2.3"}),
                         b"<privateIpAddress>127.1.2.3</privateIpAddress><privateDnsName>ip-127-1-2-3.ec2.internal"
                         b"</privateDnsName><privateIpAddress>10.64.0.70</privateIpAddress>")

    def test_hostnames_as_ec2_names_them(self):
        self.assertEqual(hostname_for("127.1.2.3", "us-east-1"), "ip-127-1-2-3.ec2.internal")
        self.assertEqual(hostname_for("127.1.2.3", "eu-west-2"), "ip-127-1-2-3.eu-west-2.compute.internal")


class ImageTests(unittest.TestCase):
    def test_the_default_image_is_a_versioned_tag_with_its_python(self):
        self.assertRegex(DEFAULT_IMAGE, r"^ghcr\.io/dask/dask:\d{4}\.\d+\.\d+-py3\.\d+$")
        environment = environment_for(DEFAULT_IMAGE)
        self.assertTrue(DEFAULT_IMAGE.endswith(f"-py{environment.python}"))
        version = DEFAULT_IMAGE.split(":")[1].split("-")[0]
        self.assertIn(f"dask=={version}", environment.requirements)
        self.assertIn(f"distributed=={version}", environment.requirements)
        self.assertTrue(all("==" in r for r in environment.requirements), "every package pinned")
        self.assertIsNone(environment_for("ghcr.io/dask/dask:latest"))  # floats: not pullable here
        self.assertEqual({e.name for e in IMAGES.values()}, {environment.name})
        self.assertEqual(environments(), [environment])  # installed once, GPU image included

    def test_the_gpu_image_runs_the_same_dask_with_a_dask_cuda_stand_in(self):
        # RAPIDS 26.10 pins dask/distributed 2026.7.1 and runs Python 3.12: the default image's.
        self.assertRegex(GPU_IMAGE, r"^rapidsai/base:\d{2}\.\d{2}-cuda12-py3\.\d+$")
        gpu, cpu = environment_for(GPU_IMAGE), environment_for(DEFAULT_IMAGE)
        self.assertTrue(gpu.gpu and not cpu.gpu)
        self.assertEqual((gpu.name, gpu.python, gpu.requirements), (cpu.name, cpu.python, cpu.requirements))
        self.assertTrue(GPU_IMAGE.endswith(f"-py{gpu.python}"))
        spec = container_spec(gpu, "127.9.9.9", "ip-127-9-9-9.ec2.internal", ["dask", "cuda", "worker"])
        self.assertTrue(spec["env"]["PATH"].startswith(f"{CUDA_BIN}:{gpu.bin}:"))
        self.assertNotIn(CUDA_BIN, container_spec(cpu, "127.9.9.9", "h", ["dask"])["env"]["PATH"])

    def test_dask_cuda_worker_runs_a_plain_worker_with_one_gpu_resource(self):
        # A stand-in for the environment's dask that prints the arguments it was given.
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, "dask"), "w") as f:
                f.write(f"#!{sys.executable}\nimport sys\nprint(' '.join(sys.argv[1:]))\n")
            os.chmod(os.path.join(folder, "dask"), 0o755)
            env = dict(os.environ, PATH=f"{CUDA_BIN}:{folder}:/usr/bin:/bin")

            def dask(*args):
                return subprocess.run([os.path.join(CUDA_BIN, "dask"), *args], env=env, capture_output=True, text=True)
            tls = ["--tls-ca-file", "/t/ca.pem", "--tls-cert", "/t/cert.pem", "--tls-key", "/t/key.pem"]
            ran = dask("cuda", "worker", "tls://127.1.1.1:8786", "--name", "i-0abc", "--death-timeout", "60", *tls)
            self.assertEqual(ran.returncode, 0, ran.stderr)
            self.assertEqual(ran.stdout.split(), ["worker", "tls://127.1.1.1:8786", "--name", "i-0abc", "--death-timeout",
                                                  "60", *tls, "--resources", "GPU=1"])
            # Berth's own --resources GPU=1 is kept, not doubled; other commands are the image's.
            ran = dask("cuda", "worker", "tls://127.1.1.1:8786", "--resources", "GPU=1")
            self.assertEqual(ran.stdout.split(), ["worker", "tls://127.1.1.1:8786", "--resources", "GPU=1"])
            self.assertEqual(dask("scheduler", "--port", "8786").stdout.split(), ["scheduler", "--port", "8786"])
            # What needs a real GPU is refused, not silently dropped.
            ran = dask("cuda", "worker", "tls://127.1.1.1:8786", "--rmm-pool-size", "1GB")
            self.assertNotEqual(ran.returncode, 0)
            self.assertIn("--rmm-pool-size needs a GPU", ran.stderr)

    def test_references_as_a_registry_resolves_them(self):
        self.assertEqual(reference("python"), "docker.io/library/python:latest")
        self.assertEqual(reference("daskdev/dask:2026.7.1"), "docker.io/daskdev/dask:2026.7.1")
        self.assertEqual(reference("ghcr.io/dask/dask"), "ghcr.io/dask/dask:latest")
        self.assertEqual(reference("localhost:5000/x@sha256:" + "a" * 64), "localhost:5000/x:latest")

    def test_a_container_spec_puts_python_on_the_task_address(self):
        spec = container_spec(IMAGES[DEFAULT_IMAGE], "127.9.9.9", "ip-127-9-9-9.ec2.internal", ["dask", "scheduler"],
                              {"PYTHONPATH": "/app", "X": "1"})
        self.assertEqual(spec["env"]["BERTH_EMULATOR_ADDRESS"], "127.9.9.9")
        self.assertTrue(spec["env"]["PYTHONPATH"].endswith("container_python:/app"))
        self.assertTrue(spec["env"]["PATH"].startswith(IMAGES[DEFAULT_IMAGE].bin + ":"))
        self.assertIn("127.9.9.9\tlocalhost", spec["files"]["/etc/hosts"][0])


class HealthTests(unittest.TestCase):
    def test_docker_health_rules(self):
        check = HealthCheck({"command": ["CMD-SHELL", "curl -f http://localhost:8787/health"], "retries": 2,
                             "startPeriod": 10}, {})
        self.assertEqual(check.argv, ["/bin/sh", "-c", "curl -f http://localhost:8787/health"])
        self.assertEqual((check.interval, check.timeout), (30, 5))
        check.record(False, in_start_period=True)
        check.record(False, in_start_period=True)
        self.assertEqual(check.status, "UNKNOWN")  # failures in the start period do not count
        check.record(True, in_start_period=True)
        self.assertEqual(check.status, "HEALTHY")
        check.record(False, in_start_period=True)  # once passed, they do
        self.assertEqual(check.status, "HEALTHY")
        check.record(False)
        self.assertEqual(check.status, "UNHEALTHY")
        self.assertFalse(HealthCheck({"command": ["NONE"]}, {}).enabled)

    def test_a_task_is_as_healthy_as_its_essential_checks(self):
        def c(status):
            check = HealthCheck({"command": ["CMD", "true"]}, {})
            check.status = status
            return check
        self.assertEqual(task_health([]), "UNKNOWN")
        self.assertEqual(task_health([None, c("HEALTHY")]), "HEALTHY")
        self.assertEqual(task_health([c("HEALTHY"), c("UNKNOWN")]), "UNKNOWN")
        self.assertEqual(task_health([c("UNKNOWN"), c("UNHEALTHY")]), "UNHEALTHY")


class InstanceTests(unittest.TestCase):
    def test_state_reasons_are_rewritten_per_instance_item(self):
        def item(instance_id):
            return (b"<item><blockDeviceMapping><item><deviceName>/dev/sda1</deviceName></item></blockDeviceMapping>"
                    b"<stateReason><code>Client.UserInitiatedShutdown</code><message>m</message></stateReason>"
                    b"<instanceId>" + instance_id + b"</instanceId></item>")
        body = b"<reservationSet><item><instancesSet>" + item(b"i-0a") + item(b"i-0b") + b"</instancesSet></item></reservationSet>"
        self.assertEqual(len(instance_items(body)), 2)

        class Known:
            id, state_reason = "i-0b", ("Client.InstanceInitiatedShutdown", "why")
        INSTANCES.add("i-0b", Known())
        try:
            rewritten = rewrite_state_reasons(body)
        finally:
            del INSTANCES.by_id["i-0b"]
        self.assertEqual(rewritten.count(b"Client.UserInitiatedShutdown"), 1)
        self.assertIn(b"<code>Client.InstanceInitiatedShutdown</code><message>why</message></stateReason>"
                      b"<instanceId>i-0b</instanceId>", rewritten)


class ShimTests(unittest.TestCase):
    def test_docker_run_arguments(self):
        options, image, command = parse_run(["--rm", "--net=host", "-e", "A=1", "--gpus", "all", "-v",
                                             "/etc/berth:/tls:ro", "-d", "img:1", "dask", "worker", "-e", "x"])
        self.assertEqual((image, command), ("img:1", ["dask", "worker", "-e", "x"]))
        self.assertEqual(options["env"], {"A": "1"})
        self.assertEqual(options["volumes"], [["/etc/berth", "/tls", True]])
        self.assertTrue(options["detach"])
        for bad in (["--frobnicate", "img"], ["-e"], ["--rm"]):
            with self.subTest(args=bad), self.assertRaises(ValueError):
                parse_run(bad)


class ControlTests(unittest.TestCase):
    def test_bad_input_is_refused_with_what_is_allowed(self):
        for path, body, words in (("/__berth/compute", b'{"enabled": "yes"}', "true or false"),
                                  ("/__berth/compute", b'{"enabled": false, "account": "12"}', "12-digit"),
                                  ("/__berth/compute/kill", b"{}", "task"),
                                  ("/__berth/compute/interrupt", b'{"task": "arn:nope"}', "no emulated task")):
            with self.subTest(path=path, body=body):
                answer = control.handle("POST", path, body)
                self.assertEqual(answer.status, 400)
                self.assertIn(words, answer.body.decode())

    def test_on_and_off_per_account(self):
        self.assertEqual(control.handle("POST", "/__berth/compute", b'{"enabled": false, "account": "111122223333"}').status, 200)
        self.assertFalse(SETTINGS.enabled("111122223333"))
        self.assertFalse(SETTINGS.enabled("999999999999"))


if __name__ == "__main__":
    unittest.main()


class SecretTests(unittest.TestCase):
    """ECS `secrets` entries (valueFrom forms as the ECS developer guide gives them) and the
    instance's `aws secretsmanager get-secret-value`, with moto's GetSecretValue stubbed."""

    ARN = "arn:aws:secretsmanager:us-east-2:123456789012:secret:berth/acme/c-1/tls-AbCdEf"

    def test_value_from_forms(self):
        from berth_emulator.compute.secrets import SecretUnavailable, parse_value_from
        self.assertEqual(parse_value_from(self.ARN), (self.ARN, "us-east-2", ""))
        self.assertEqual(parse_value_from(self.ARN + ":worker_key::"), (self.ARN, "us-east-2", "worker_key"))
        self.assertEqual(parse_value_from("berth/acme/c-1/tls"), ("berth/acme/c-1/tls", None, ""))
        with self.assertRaises(SecretUnavailable):
            parse_value_from("arn:aws:ssm:us-east-2:123456789012:parameter/x")

    def test_secrets_become_variables_and_a_missing_one_names_the_secret_only(self):
        from berth_emulator import upstream
        from berth_emulator.compute import secrets
        seen = []

        def fake(call, secret_id):
            seen.append((call.account, call.region, secret_id))
            if "missing" in secret_id:
                raise upstream.UpstreamError("moto GetSecretValue answered 400: ResourceNotFoundException")
            return '{"worker_key": "KEY", "ca": "CA"}'
        caller = type("Caller", (), {"account": "123456789012", "region": "eu-west-2", "access_key": "AKIA"})()
        original, upstream.secret_string = upstream.secret_string, fake
        try:
            env = secrets.resolve_secrets(caller, [{"name": "ALL", "valueFrom": self.ARN},
                                                   {"name": "KEY", "valueFrom": self.ARN + ":worker_key::"}])
            self.assertEqual(env, {"ALL": '{"worker_key": "KEY", "ca": "CA"}', "KEY": "KEY"})
            self.assertEqual(seen[0], ("123456789012", "us-east-2", self.ARN))
            with self.assertRaises(secrets.SecretUnavailable) as raised:
                secrets.resolve_secrets(caller, [{"name": "X", "valueFrom": "berth/missing"}])
            self.assertIn("berth/missing", str(raised.exception))
            with self.assertRaises(secrets.SecretUnavailable) as raised:
                secrets.resolve_secrets(caller, [{"name": "X", "valueFrom": self.ARN + ":nope::"}])
            self.assertNotIn("KEY", str(raised.exception).replace("JSON key", ""))
        finally:
            upstream.secret_string = original
