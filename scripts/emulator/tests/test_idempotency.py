import threading
import unittest

from berth_emulator.idempotency import Idempotency, fingerprint, run_once
from berth_emulator.responses import Response
from tests.support import json_call, query_call


def launch(image="ami-1", token="tok", instance_type="t3.micro", **extra):
    return query_call("ec2", "RunInstances", {"ImageId": image, "InstanceType": instance_type, "ClientToken": token, **extra},
                      account="111122223333")


class Forward:
    """A stand-in for moto: counts the calls, answers what it is told."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.answers.pop(0) if self.answers else Response(200, {}, f"created {self.calls}".encode())


class IdempotencyTests(unittest.TestCase):
    def setUp(self):
        self.cache = Idempotency()

    def run_call(self, call, forward, code="IdempotentParameterMismatch"):
        return run_once(call, call.form.get("ClientToken") or call.json_body().get("clientToken"), forward, code,
                        cache=self.cache)

    def test_a_repeat_replays_the_first_answer(self):
        forward = Forward()
        first = self.run_call(launch(), forward)
        again = self.run_call(launch(), forward)
        self.assertEqual(forward.calls, 1)
        self.assertEqual(again, first)

    def test_other_parameters_with_the_same_token_are_refused(self):
        forward = Forward()
        self.run_call(launch(), forward)
        refused = self.run_call(launch(instance_type="t3.small"), forward)
        self.assertEqual(forward.calls, 1)
        self.assertEqual(refused.status, 400)
        self.assertIn(b"<Code>IdempotentParameterMismatch</Code>", refused.body)

    def test_json_mismatch_uses_the_patch_s_code(self):
        forward = Forward()
        call = json_call("ecs", "RunTask", {"cluster": "c", "clientToken": "t", "count": 1})
        self.run_call(call, forward, "InvalidParameterException")
        refused = self.run_call(json_call("ecs", "RunTask", {"cluster": "c", "clientToken": "t", "count": 2}), forward,
                                "InvalidParameterException")
        self.assertEqual((refused.status, refused.headers["x-amzn-ErrorType"]), (400, "InvalidParameterException"))

    def test_a_failure_is_not_kept(self):
        forward = Forward(Response(500, {}, b"moto failed"))
        self.assertEqual(self.run_call(launch(), forward).status, 500)
        self.assertEqual(self.run_call(launch(), forward).status, 200)
        self.assertEqual(forward.calls, 2)

    def test_tokens_are_per_account_region_and_action(self):
        forward = Forward()
        self.run_call(launch(), forward)
        other_account = query_call("ec2", "RunInstances", {"ImageId": "ami-1", "InstanceType": "t3.micro", "ClientToken": "tok"},
                                   account="999988887777")
        other_region = query_call("ec2", "RunInstances", {"ImageId": "ami-1", "InstanceType": "t3.micro", "ClientToken": "tok"},
                                  account="111122223333", region="eu-west-2")
        self.run_call(other_account, forward)
        self.run_call(other_region, forward)
        self.assertEqual(forward.calls, 3)

    def test_the_token_and_parameter_order_are_not_parameters(self):
        self.assertEqual(fingerprint(launch(token="a")), fingerprint(launch(token="b")))
        one = json_call("ecs", "RunTask", {"a": 1, "b": {"y": 2, "x": 1}, "clientToken": "t"})
        two = json_call("ecs", "RunTask", {"b": {"x": 1, "y": 2}, "a": 1, "clientToken": "u"})
        self.assertEqual(fingerprint(one), fingerprint(two))
        self.assertNotEqual(fingerprint(launch()), fingerprint(launch(image="ami-2")))

    def test_concurrent_repeats_forward_once(self):
        # The first request stays "with moto" until released; a repeat meanwhile must wait for
        # it (then replay its answer) instead of forwarding a second create.
        inside, release = threading.Event(), threading.Event()
        calls = []

        def forward():
            calls.append(1)
            if len(calls) == 1:
                inside.set()
                release.wait(10)
            return Response(200, {}, f"create {len(calls)}".encode())

        answers = {}
        first = threading.Thread(target=lambda: answers.setdefault("first", self.run_call(launch(), forward)))
        second = threading.Thread(target=lambda: answers.setdefault("second", self.run_call(launch(), forward)))
        first.start()
        self.assertTrue(inside.wait(10))
        second.start()
        second.join(0.2)  # time enough to forward, were it not held back
        self.assertTrue(second.is_alive(), "the repeat did not wait for the first request")
        release.set()
        first.join(10)
        second.join(10)
        self.assertEqual(len(calls), 1)
        self.assertEqual(answers["first"].body, b"create 1")
        self.assertEqual(answers["second"], answers["first"])

if __name__ == "__main__":
    unittest.main()
