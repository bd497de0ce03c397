"""A real moto (moto.server.ThreadedMotoServer, in this process) with the emulator layer in front,
for tests that show moto's own behaviour next to the patched one. Started once per test run, on
first use (about a second); each test gets a fresh moto account and access key, so tests never
see each other's resources or realism settings."""

import json
import logging
import threading
import time
import unittest
import urllib.request
import uuid

import botocore.config
import botocore.session

from berth_emulator import upstream
from berth_emulator.accounts import ACCOUNTS
from berth_emulator.realism import REALISM
from berth_emulator.server import Server

_STARTED = {}
_LOCK = threading.Lock()
# One session: it caches the service models, which take a second or more to load per client.
SESSION = botocore.session.get_session()
NO_RETRIES = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)


def servers():
    """(moto URL, proxy URL), started on first use."""
    with _LOCK:
        if not _STARTED:
            from moto.server import ThreadedMotoServer
            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request
            moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            moto.start()
            moto_url = f"http://127.0.0.1:{moto._server.server_address[1]}"
            # ECS tasks otherwise advance toward STOPPED each time they are described.
            request = urllib.request.Request(f"{moto_url}/moto-api/state-manager/set-transition", method="POST",
                                             data=json.dumps({"model_name": "ecs::task", "transition": {
                                                 "progression": "manual", "times": 1000000000}}).encode(),
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=10).read()
            proxy = Server(("127.0.0.1", 0))
            threading.Thread(target=proxy.serve_forever, daemon=True).start()
            _STARTED.update(moto=moto, moto_url=moto_url, proxy=proxy,
                            proxy_url=f"http://127.0.0.1:{proxy.server_address[1]}")
        return _STARTED["moto_url"], _STARTED["proxy_url"]


class RealMotoTest(unittest.TestCase):
    """Per test: `self.raw(service)` talks to moto directly, `self.patched(service)` through the
    layer, both in the test's own account; `self.realism({...})` configures the test's key."""

    region = "us-east-2"

    def setUp(self):
        moto_url, self.proxy_url = servers()
        self.saved_upstream = list(upstream.ADDRESS)
        upstream.configure(moto_url)
        self.moto_url = moto_url
        self.account = "".join(str(uuid.uuid4().int)[:12])
        self.key = "AKIA" + uuid.uuid4().hex[:16].upper()
        ACCOUNTS.register(self.key, self.account)

    def tearDown(self):
        REALISM.clear(self.key)
        upstream.ADDRESS[:] = self.saved_upstream

    def realism(self, config):
        REALISM.configure(config, key=self.key)

    def client(self, service, url, region=None):
        client = SESSION.create_client(
            service, region_name=region or self.region, endpoint_url=url, aws_access_key_id=self.key,
            aws_secret_access_key="test-secret", config=NO_RETRIES)
        account = self.account

        def add_account(request, **_):
            request.headers["x-moto-account-id"] = account
        client.meta.events.register("before-sign.*.*", add_account)
        return client

    def raw(self, service, region=None):
        return self.client(service, self.moto_url, region)

    def patched(self, service, region=None):
        return self.client(service, self.proxy_url, region)

    def assertAWSError(self, code, call, *args, **kwargs):
        """Runs the call, expects AWS's error `code`; returns the error's message."""
        from botocore.exceptions import ClientError
        with self.assertRaises(ClientError) as raised:
            call(*args, **kwargs)
        self.assertEqual(raised.exception.response["Error"]["Code"], code, raised.exception.response)
        return raised.exception.response["Error"]["Message"]

    def eventually(self, condition, seconds=10, message="condition"):
        """Polls until `condition()` is truthy, within a deadline; returns its value."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                value = condition()
            except Exception:  # noqa: BLE001  (an AWS error while waiting counts as "not yet")
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail(f"{message} did not hold within {seconds} s")
            time.sleep(0.05)

    # Fixtures in the test's account.
    def fargate_setup(self, ecs, ec2, execution_role=None):
        """A cluster with FARGATE providers, a 1-vCPU task definition, the default VPC's subnets
        and a security group: what RunTask needs."""
        ecs.create_cluster(clusterName="c", capacityProviders=["FARGATE", "FARGATE_SPOT"])
        definition = {"family": "f", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "1024",
                      "memory": "2048", "containerDefinitions": [{"name": "c", "image": "busybox", "memory": 2048}]}
        if execution_role:
            definition["executionRoleArn"] = execution_role
        arn = ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = {s["AvailabilityZone"]: s["SubnetId"] for s in ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]}
        group = ec2.create_security_group(GroupName=f"g-{uuid.uuid4().hex[:6]}", Description="d", VpcId=vpc)["GroupId"]
        return arn, subnets, group

    @staticmethod
    def run_task(ecs, definition, subnets, group, **extra):
        return ecs.run_task(cluster="c", taskDefinition=definition, launchType="FARGATE", networkConfiguration={
            "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group], "assignPublicIp": "ENABLED"}}, **extra)
