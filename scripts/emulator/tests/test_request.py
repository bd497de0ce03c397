import unittest

from berth_emulator.accounts import DEFAULT_ACCOUNT
from berth_emulator.request import Call, credential_scope, json_action, parse_form
from tests.support import json_call, query_call


class RequestParsingTests(unittest.TestCase):
    def test_query_request(self):
        call = query_call("ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16", "DryRun": "true"}, region="eu-west-2")
        self.assertEqual((call.service, call.region, call.access_key), ("ec2", "eu-west-2", "AKIATESTKEY000000001"))
        self.assertEqual(call.action, "CreateVpc")
        self.assertEqual(call.form["CidrBlock"], "10.0.0.0/16")
        self.assertEqual(call.protocol, "query")
        self.assertFalse(call.json)
        self.assertTrue(call.is_form)

    def test_json_request(self):
        call = json_call("ecs", "RunTask", {"cluster": "c", "clientToken": "t"})
        self.assertEqual((call.service, call.action, call.protocol), ("ecs", "RunTask", "json"))
        self.assertEqual(call.json_body()["clientToken"], "t")
        self.assertEqual(call.form, {})
        self.assertFalse(call.is_form)

    def test_action_of_a_json_target(self):
        self.assertEqual(json_action("Logs_20140328.CreateLogGroup"), "CreateLogGroup")
        self.assertEqual(json_action("AmazonEC2ContainerRegistry_V20150921.CreateRepository"), "CreateRepository")

    def test_account_from_the_header_else_the_default(self):
        self.assertEqual(query_call("ec2", "DescribeVpcs", account="210987654321").account, "210987654321")
        self.assertEqual(query_call("ec2", "DescribeVpcs").account, DEFAULT_ACCOUNT)

    def test_unsigned_request(self):
        self.assertEqual(credential_scope(""), ("", "us-east-1", ""))
        self.assertEqual(credential_scope("AWS4-HMAC-SHA256 Credential=garbage"), ("", "us-east-1", ""))
        call = Call("GET", "/moto-api/data.json", {}, b"")
        self.assertEqual((call.access_key, call.service, call.action), ("", "", ""))

    def test_form_keeps_blanks_and_first_values(self):
        self.assertEqual(parse_form(b"A=1&A=2&B=&C=x%20y+z"), {"A": "1", "B": "", "C": "x y z"})
        self.assertEqual(parse_form(b"\xff=1")["\ufffd"], "1")  # not UTF-8: replaced, not refused

    def test_json_body_that_is_not_json(self):
        call = json_call("ecs", "ListTasks")
        call.body = b"{not json"
        self.assertEqual(call.json_body(), {})

    def test_forward_body_starts_as_the_callers_and_can_be_rewritten(self):
        call = json_call("ecs", "RunTask", {"launchType": "EC2"})
        self.assertIs(call.forward_body, call.body)
        call.forward_json({"launchType": "FARGATE"})
        self.assertEqual(call.forward_body, b'{"launchType": "FARGATE"}')
        self.assertEqual(call.json_body(), {"launchType": "EC2"}, "the caller's body is kept")


if __name__ == "__main__":
    unittest.main()
