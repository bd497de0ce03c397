import json
import unittest

from berth_emulator.faults import Faults, injected_answer
from tests.support import json_call, query_call

KEY = "AKIATESTKEY000000001"


class FaultTests(unittest.TestCase):
    def test_plan_is_consumed_then_rates_apply(self):
        faults = Faults(rng=lambda: 0.0)  # every rate fires
        faults.set(KEY, {"plan": ["throttle", "ok", "slow"], "rates": {"500": 0.5}, "slow_seconds": 0.5})
        call = query_call("ec2", "DescribeVpcs")
        self.assertEqual([faults.next_fault(call) for _ in range(4)],
                         [("throttle", 0.5), (None, 0), ("slow", 0.5), ("500", 0.5)])
        never = Faults(rng=lambda: 0.99)
        never.set(KEY, {"rates": {"500": 0.5}})
        self.assertEqual(never.next_fault(call), (None, 0))

    def test_only_the_named_actions(self):
        faults = Faults()
        faults.set(KEY, {"plan": ["reset"], "actions": ["CreateVpc"]})
        self.assertEqual(faults.next_fault(query_call("ec2", "DescribeVpcs")), (None, 0))
        self.assertEqual(faults.next_fault(query_call("ec2", "CreateVpc"))[0], "reset")

    def test_per_key(self):
        faults = Faults()
        faults.set(KEY, {"plan": ["500"]})
        self.assertEqual(faults.next_fault(query_call("ec2", "DescribeVpcs", key="AKIAOTHERKEY00000001")), (None, 0))
        self.assertEqual(faults.next_fault(query_call("ec2", "DescribeVpcs"))[0], "500")

    def test_stats(self):
        faults = Faults()
        faults.set(KEY, {"plan": ["throttle"]})
        call = json_call("ecs", "RunTask")
        faults.next_fault(call)
        faults.next_fault(call)
        faults.forwarded(call)
        faults.answered(call, 403)
        faults.answered(call, 200)
        stats = faults.stats_for(KEY)
        self.assertEqual(list(stats), ["actions", "denied", "requests", "forwarded", "faults"])
        self.assertEqual(stats, {"actions": {"ecs:RunTask": 2}, "denied": {"ecs:RunTask": 1}, "requests": 2,
                                 "forwarded": 1, "faults": {"throttle": 1}})
        faults.clear(KEY)
        self.assertEqual(faults.next_fault(call), (None, 0))
        self.assertEqual(faults.stats_for("AKIAUNKNOWN"), {"actions": {}, "denied": {}, "requests": 0, "forwarded": 0,
                                                         "faults": {}})

    def test_answers_in_each_protocol_s_shape(self):
        ec2, iam, ecs = query_call("ec2", "DescribeVpcs"), query_call("iam", "GetRole"), json_call("ecs", "ListTasks")
        expected = [
            (ec2, "throttle", 503, "RequestLimitExceeded"), (iam, "throttle", 400, "Throttling"),
            (ecs, "throttle", 400, "ThrottlingException"), (ec2, "auth", 401, "AuthFailure"),
            (iam, "auth", 403, "InvalidClientTokenId"), (ec2, "500", 500, "InternalError"),
            (iam, "500", 500, "InternalFailure"), (ecs, "500", 500, "com.amazonaws.ecs#ServerException"),
            (ecs, "503", 503, "ServiceUnavailable"), (ec2, "dependency", 400, "DependencyViolation"),
        ]
        for call, fault, status, code in expected:
            with self.subTest(service=call.service, fault=fault):
                answer = injected_answer(call, fault)
                self.assertEqual(answer.status, status)
                if call.json:
                    self.assertEqual(json.loads(answer.body)["__type"], code)
                else:
                    self.assertIn(f"<Code>{code}</Code>".encode(), answer.body)
        self.assertTrue(injected_answer(ec2, "reset").reset)
        self.assertIsNone(injected_answer(ec2, "slow"))
        self.assertIsNone(injected_answer(ec2, None))

    def test_query_errors_other_than_ec2(self):
        answer = injected_answer(query_call("sts", "GetCallerIdentity"), "503")
        self.assertIn(b"<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>", answer.body)


if __name__ == "__main__":
    unittest.main()
