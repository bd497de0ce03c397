"""A moto_server and an emulator layer of their own (with --compute) on free ports, and a small
AWS client for them: what the compute tests run against. Requests carry a SigV4-shaped
Authorization header (moto without auth checks routes on its credential scope only)."""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

EMULATOR_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ECS_TARGET = "AmazonEC2ContainerServiceV20141113"
SYSTEM_PYTHON = os.environ.get("BERTH_EMULATOR_PYTHON", "python3")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what, interval=0.1):
    """Polls until predicate() is truthy; its value, or AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(interval)


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return answer.read()


class Stack:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="berth-compute-test-")
        self.processes = []
        self.account = "".join(str(uuid.uuid4().int)[:12])
        self.key = "AKIA" + uuid.uuid4().hex[:16].upper()

    def start(self):
        moto_port, port = free_port(), free_port()
        env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="false", BERTH_EMULATOR_COMPUTE_DIR=self.dir)
        for name in ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH"):
            env.pop(name, None)
        self.moto = self.spawn("moto", ["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)], env)
        self.moto_url = f"http://127.0.0.1:{moto_port}"
        wait_for(lambda: self.answers(f"{self.moto_url}/moto-api/data.json"), 60, "moto_server")
        transition = json.dumps({"model_name": "ecs::task", "transition": {"progression": "manual", "times": 10**9}})
        self.post(f"{self.moto_url}/moto-api/state-manager/set-transition", transition.encode())
        self.emulator = self.spawn("emulator", [SYSTEM_PYTHON, "-B", "-m", "berth_emulator", "--port", str(port),
                                                "--upstream", self.moto_url], env, cwd=EMULATOR_DIR)
        self.url = f"http://127.0.0.1:{port}"
        wait_for(lambda: self.answers(f"{self.url}/__berth/health"), 30, "the emulator")
        self.control("POST", "/__berth/compute", {"enabled": True, "account": self.account})
        return self

    def spawn(self, name, argv, env, cwd=None):
        # SIGTERM when the test process goes, however it goes (the emulator then ends its sandboxes).
        argv = ["setpriv", "--pdeathsig", "SIGTERM", "--", *argv]
        with open(os.path.join(self.dir, f"{name}.log"), "ab") as log:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=cwd,
                                       start_new_session=True)
        self.processes.append(process)
        return process

    def remove_files(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def stop(self, emulator_signal=signal.SIGTERM):
        """Stops the emulator (with that signal) and moto; returns the emulator's exit code."""
        code = None
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(emulator_signal if process is self.emulator else signal.SIGTERM)
            try:
                code = process.wait(20) if process is self.emulator else (process.wait(20) and code)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return code

    def log(self, name):
        with open(os.path.join(self.dir, f"{name}.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    @staticmethod
    def answers(url):
        try:
            get(url, timeout=2)
            return True
        except OSError:
            return False

    @staticmethod
    def post(url, body, headers=None):
        request = urllib.request.Request(url, data=body, headers=headers or {"Content-Type": "application/json"},
                                         method="POST")
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.read()

    # -- AWS and the control API -----------------------------------------------------------

    def headers(self, service, region):
        date = time.strftime("%Y%m%d")
        return {"Authorization": f"AWS4-HMAC-SHA256 Credential={self.key}/{date}/{region}/{service}/aws4_request, "
                                 f"SignedHeaders=host;x-amz-date, Signature=0",
                "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ"), "x-moto-account-id": self.account}

    def call(self, headers, body):
        request = urllib.request.Request(self.url + "/", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def ecs(self, action, payload, region="us-east-2", expect=200):
        headers = dict(self.headers("ecs", region), **{"Content-Type": "application/x-amz-json-1.1",
                                                       "X-Amz-Target": f"{ECS_TARGET}.{action}"})
        status, body = self.call(headers, json.dumps(payload).encode())
        if status != expect:
            raise AssertionError(f"ECS {action} answered {status}: {body[:500]!r}")
        return json.loads(body or b"{}")

    def ec2(self, action, params, region="us-east-2", expect=200):
        form = {"Action": action, "Version": "2016-11-15", **params}
        headers = dict(self.headers("ec2", region), **{"Content-Type": "application/x-www-form-urlencoded"})
        status, body = self.call(headers, urllib.parse.urlencode(form).encode())
        if status != expect:
            raise AssertionError(f"EC2 {action} answered {status}: {body[:500]!r}")
        root = ET.fromstring(body)
        for element in root.iter():
            element.tag = element.tag.split("}", 1)[-1]
        return root

    def control(self, method, path, document=None, expect=200):
        request = urllib.request.Request(self.url + path, method=method,
                                         data=json.dumps(document).encode() if document is not None else None,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        if status != expect:
            raise AssertionError(f"{method} {path} answered {status}: {body[:300]!r}")
        return json.loads(body or b"{}")

    # -- conveniences ----------------------------------------------------------------------

    def network(self, region="us-east-2"):
        """A VPC with one subnet and a security group; (subnet id, group id)."""
        vpc = self.ec2("CreateVpc", {"CidrBlock": "10.64.0.0/16"}, region).findtext(".//vpcId")
        # moto's Fargate RunTask needs DNS hostnames on (it names the interface).
        self.ec2("ModifyVpcAttribute", {"VpcId": vpc, "EnableDnsHostnames.Value": "true"}, region)
        subnet = self.ec2("CreateSubnet", {"VpcId": vpc, "CidrBlock": "10.64.0.0/20"}, region).findtext(".//subnetId")
        group = self.ec2("CreateSecurityGroup", {"GroupName": "g", "GroupDescription": "g", "VpcId": vpc},
                         region).findtext(".//groupId")
        return subnet, group

    def describe_task(self, arn, cluster="default"):
        return self.ecs("DescribeTasks", {"cluster": cluster, "tasks": [arn]})["tasks"][0]

    def instance(self, instance_id):
        return self.ec2("DescribeInstances", {"InstanceId.1": instance_id}).find(".//instancesSet/item")

    def console(self, instance_id):
        output = self.ec2("GetConsoleOutput", {"InstanceId": instance_id}).findtext(".//output") or ""
        return base64.b64decode(output).decode("utf-8", "replace")


def processes_with(marker):
    """PIDs of processes whose environment holds `marker` (NAME=value)."""
    found, needle = [], marker.encode() + b"\0"
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read() + b"\0":
                    found.append(int(entry))
        except OSError:
            pass
    return found
