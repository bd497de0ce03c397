import importlib
import pkgutil
import re
import unittest

from berth_emulator import patches
from berth_emulator.patches import iam_propagation
from berth_emulator.realism import BEHAVIOURS, REALISM
from berth_emulator.registry import AFTER, AROUND, BEFORE, REGISTRY, Hook, Registry
from berth_emulator.responses import Response
from tests.support import json_call, query_call

MOTO = Response(200, {}, b"moto")


class Recorder:
    """A registry with hooks that write down what ran, and a forward() that does too."""

    def __init__(self):
        self.registry = Registry()
        self.log = []

    def forward(self):
        self.log.append("forward")
        return MOTO

    def handle(self, call):
        return self.registry.handle(call, self.forward)


class PipelineTests(unittest.TestCase):
    def setUp(self):
        self.r = Recorder()

    def test_order_of_phases(self):
        reg, log = self.r.registry, self.r.log

        @reg.before("ec2", "RunInstances")
        def check(call):
            log.append("before")

        @reg.around("ec2", "RunInstances")
        def outer(call, forward):
            log.append("around outer")
            return forward()

        @reg.around("ec2", "RunInstances")
        def inner(call, forward):
            log.append("around inner")
            return forward()

        @reg.after("ec2", "RunInstances")
        def fix(call, response):
            log.append("after")
            return response._replace(body=response.body + b"+fixed")

        answer = self.r.handle(query_call("ec2", "RunInstances"))
        self.assertEqual(log, ["before", "around outer", "around inner", "forward", "after"])
        self.assertEqual(answer.body, b"moto+fixed")

    def test_a_before_hook_answers_and_nothing_is_forwarded(self):
        reg = self.r.registry
        refusal = Response(400, {}, b"no")
        reg.before("ec2", "DeleteVpc")(lambda call: refusal)
        reg.after("ec2", "DeleteVpc")(lambda call, response: self.fail("after ran without a forward"))
        self.assertIs(self.r.handle(query_call("ec2", "DeleteVpc")), refusal)
        self.assertEqual(self.r.log, [])

    def test_an_around_hook_may_answer_without_forwarding(self):
        cached = Response(200, {}, b"cached")
        self.r.registry.around("ecs", "RunTask")(lambda call, forward: cached)
        self.assertIs(self.r.handle(json_call("ecs", "RunTask")), cached)
        self.assertEqual(self.r.log, [])

    def test_order_then_registration(self):
        reg, log = self.r.registry, self.r.log
        reg.before("ec2", "*")(lambda call: log.append("default 1"))
        reg.before("ec2", "*", order=0)(lambda call: log.append("first"))
        reg.before("ec2", "*")(lambda call: log.append("default 2"))
        reg.before("ec2", "*", order=200)(lambda call: log.append("last"))
        self.r.handle(query_call("ec2", "DescribeVpcs"))
        self.assertEqual(log, ["first", "default 1", "default 2", "last", "forward"])

    def test_a_lower_order_around_hook_is_outside(self):
        # How a lost answer fits: outside the client-token cache, which keeps the real answer.
        reg, log = self.r.registry, self.r.log

        @reg.around("ec2", "RunInstances")
        def cache(call, forward):
            log.append("cache")
            answer = forward()
            log.append(f"cache keeps {answer.body.decode()}")
            return answer

        @reg.around("ec2", "RunInstances", order=50)
        def lose_answer(call, forward):
            forward()
            return Response.connection_reset()

        self.assertTrue(self.r.handle(query_call("ec2", "RunInstances")).reset)
        self.assertEqual(log, ["cache", "forward", "cache keeps moto"])

    def test_a_before_hook_rewrites_what_is_forwarded(self):
        reg = self.r.registry
        reg.before("ecs", "RunTask")(lambda call: call.forward_json({"launchType": "FARGATE"}))
        sent = []
        call = json_call("ecs", "RunTask", {"capacityProviderStrategy": []})
        reg.handle(call, lambda: sent.append(call.forward_body) or MOTO)
        self.assertEqual(sent, [b'{"launchType": "FARGATE"}'])

    def test_without_hooks_the_request_is_forwarded(self):
        self.assertIs(self.r.handle(query_call("sts", "GetCallerIdentity")), MOTO)


class MatchingTests(unittest.TestCase):
    def hook(self, service, actions=None, when=None):
        return Hook("test", service, frozenset(actions) if actions else None, BEFORE, lambda call: None, when)

    def test_service_action_and_protocol(self):
        delete_vpc = self.hook("ec2", ["DeleteVpc"])
        self.assertTrue(delete_vpc.applies(query_call("ec2", "DeleteVpc")))
        self.assertFalse(delete_vpc.applies(query_call("ec2", "DeleteSubnet")))
        self.assertFalse(delete_vpc.applies(query_call("iam", "DeleteVpc")))
        # An EC2 hook never sees a JSON request, whatever it claims to be.
        self.assertFalse(delete_vpc.applies(json_call("ec2", "DeleteVpc")))
        self.assertFalse(self.hook("ecs", ["RunTask"]).applies(query_call("ecs", "RunTask")))

    def test_every_action_and_when(self):
        every = self.hook("ec2")
        self.assertTrue(every.applies(query_call("ec2", "AnyAction")))
        dry = self.hook("ec2", when=lambda call: call.form.get("DryRun") == "true")
        self.assertTrue(dry.applies(query_call("ec2", "CreateVpc", {"DryRun": "true"})))
        self.assertFalse(dry.applies(query_call("ec2", "CreateVpc")))

    def test_declarations_are_checked(self):
        reg = Registry()
        for bad in (lambda: reg.before("s3", "PutObject")(print),
                    lambda: reg.before("ec2")(print),
                    lambda: reg.before("ec2", "runInstances")(print),
                    lambda: reg.add(Hook("p", "ec2", None, "during", print))):
            with self.subTest(), self.assertRaises(ValueError) as raised:
                bad()
            self.assertIn("patch", str(raised.exception))
        self.assertEqual(reg.hooks, [])

    def test_the_patch_name_is_the_module(self):
        reg = Registry()

        @reg.after("iam", "CreateAccessKey")
        def hook(call, response):
            return response

        self.assertEqual(list(reg.patches()), ["test_registry"])


class PatchPackageTests(unittest.TestCase):
    """The real patches: each module registers hooks and cites its sources."""

    def test_every_module_registers_and_cites_aws_and_moto(self):
        registered = REGISTRY.patches()
        modules = [m.name for m in pkgutil.iter_modules(patches.__path__) if not m.name.startswith("_")]
        self.assertGreaterEqual(len(modules), 9)
        for name in modules:
            with self.subTest(patch=name):
                module = importlib.import_module(f"berth_emulator.patches.{name}")
                self.assertIn(name, registered, "registers no hook")
                doc = module.__doc__ or ""
                self.assertRegex(doc, r"https://docs\.aws\.amazon\.com/\S+", "cites no AWS documentation")
                self.assertRegex(doc, r"moto 5\.2\.1", "does not say what moto does")

    def test_dry_run_comes_before_every_other_ec2_hook(self):
        call = query_call("ec2", "DeleteVpc", {"VpcId": "vpc-1", "DryRun": "true"})
        hooks = REGISTRY.hooks_for(call, BEFORE)
        self.assertEqual([h.patch for h in hooks], ["ec2_dry_run", "ec2_delete_vpc"])

    def test_run_task_hooks(self):
        call = json_call("ecs", "RunTask", {"clientToken": "t", "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}]})
        call.notes["capacity_provider"] = "FARGATE"
        self.assertEqual([h.patch for h in REGISTRY.hooks_for(call, BEFORE)], ["ecs_fargate_capacity_providers"])
        self.assertEqual([h.patch for h in REGISTRY.hooks_for(call, AROUND)], ["ecs_run_task_client_token"])
        self.assertEqual([h.patch for h in REGISTRY.hooks_for(call, AFTER)], ["ecs_fargate_capacity_providers"])

    def test_realism_hooks_sit_where_they_must(self):
        key = "AKIAREGISTRYREALISM1"
        REALISM.configure({name: True for name in BEHAVIOURS}, key=key)
        try:
            call = query_call("ec2", "RunInstances", {"ClientToken": "t", "InstanceType": "m5.large",
                                                      "IamInstanceProfile.Arn": "arn:aws:iam::1:instance-profile/p"}, key=key)
            iam_propagation.READY[(call.account, "profile", "p")] = float("inf")
            around = [(h.patch, h.order) for h in REGISTRY.hooks_for(call, AROUND)]
            # A lost answer outside the client-token cache (which keeps the real answer for the
            # retry); the checks inside it (a repeat that launches nothing is never refused).
            self.assertEqual(around[0], ("lost_answers", 10))
            self.assertEqual(around[1], ("ec2_run_instances_client_token", 100))
            self.assertEqual({p for p, o in around[2:]}, {"ec2_capacity", "ec2_quotas", "iam_propagation"})
            self.assertTrue(all(o > 100 for _, o in around[2:]))
            # Eventual consistency answers before anything else looks at the ids, after DryRun.
            befores = [h.patch for h in REGISTRY.hooks_for(query_call("ec2", "DeleteVpc", {"VpcId": "vpc-1", "DryRun": "true"},
                                                                       key=key), BEFORE)]
            self.assertEqual(befores[:2], ["ec2_dry_run", "ec2_eventual_consistency"])
        finally:
            REALISM.clear(key)
            iam_propagation.READY.pop((call.account, "profile", "p"), None)

    def test_no_hook_for_calls_berth_makes_unpatched(self):
        for call in (query_call("ec2", "CreateVpc"), query_call("ec2", "RunInstances"), json_call("ecs", "RunTask"),
                     query_call("sts", "GetCallerIdentity"), json_call("logs", "CreateLogGroup", target="Logs_20140328")):
            with self.subTest(action=call.action):
                self.assertFalse(REGISTRY.hooks_for(call, AROUND), "a token-less create is not cached")
                self.assertFalse([h for h in REGISTRY.hooks_for(call, BEFORE) if not re.match("ecs_fargate", h.patch)])


if __name__ == "__main__":
    unittest.main()
