import unittest

from berth_emulator.iam_policies import policies_allow


def allow(action, resource="*", **extra):
    return {"Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}]}


def deny(action):
    return {"Statement": {"Effect": "Deny", "Action": action, "Resource": "*"}}


class PolicyTests(unittest.TestCase):
    def test_allow_needed(self):
        self.assertFalse(policies_allow([], "ec2:CreateVpc"))
        self.assertTrue(policies_allow([allow("ec2:CreateVpc")], "ec2:CreateVpc"))
        self.assertFalse(policies_allow([allow("ec2:DeleteVpc")], "ec2:CreateVpc"))

    def test_wildcards_and_case(self):
        self.assertTrue(policies_allow([allow("ec2:Create*")], "ec2:CreateVpc"))
        self.assertTrue(policies_allow([allow(["s3:*", "EC2:createvpc"])], "ec2:CreateVpc"))
        self.assertTrue(policies_allow([allow("ec2:CreateVp?")], "ec2:CreateVpc"))
        self.assertFalse(policies_allow([allow("ec2:Create")], "ec2:CreateVpc"))

    def test_explicit_deny_wins(self):
        self.assertFalse(policies_allow([allow("*"), deny("ec2:CreateVpc")], "ec2:CreateVpc"))
        self.assertTrue(policies_allow([allow("*"), deny("ec2:DeleteVpc")], "ec2:CreateVpc"))

    def test_not_action(self):
        everything_but = {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
        self.assertTrue(policies_allow([everything_but], "ec2:CreateVpc"))
        self.assertFalse(policies_allow([everything_but], "iam:CreateRole"))

    def test_resources_are_checked_as_star_and_conditions_as_met(self):
        # As moto decides EC2 calls: a statement on specific ARNs does not match "*".
        self.assertFalse(policies_allow([allow("ec2:CreateVpc", "arn:aws:ec2:*:*:vpc/*")], "ec2:CreateVpc"))
        self.assertTrue(policies_allow([allow("ec2:CreateVpc", "*", Condition={"StringEquals": {"aws:RequestedRegion": "x"}})],
                                       "ec2:CreateVpc"))

    def test_a_resource_and_condition_keys_decided_as_aws_does(self):
        # iam_resource_authorization: the call's ARN and the request's condition keys.
        roles = allow("iam:CreateRole", "arn:aws:iam::*:role/berth-*")
        self.assertTrue(policies_allow([roles], "iam:CreateRole", resource="arn:aws:iam::123456789012:role/berth-t-instance"))
        self.assertFalse(policies_allow([roles], "iam:CreateRole", resource="arn:aws:iam::123456789012:role/admin"))
        ecs = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        attach = allow("iam:AttachRolePolicy", "arn:aws:iam::*:role/berth-*", Condition={"ArnEquals": {"iam:PolicyARN": [ecs]}})
        role = "arn:aws:iam::123456789012:role/berth-t-ecs-execution"
        self.assertTrue(policies_allow([attach], "iam:AttachRolePolicy", resource=role, context={"iam:PolicyARN": ecs}))
        self.assertFalse(policies_allow([attach], "iam:AttachRolePolicy", resource=role,
                                        context={"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}))
        # A key the request does not carry: met, as moto has it (and as before).
        self.assertTrue(policies_allow([attach], "iam:AttachRolePolicy", resource=role))
        not_like = allow("iam:AttachRolePolicy", "*", Condition={"ArnNotLike": {"iam:PolicyARN": "arn:aws:iam::aws:policy/Admin*"}})
        self.assertFalse(policies_allow([not_like], "iam:AttachRolePolicy", context={"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}))
        self.assertTrue(policies_allow([not_like], "iam:AttachRolePolicy", context={"iam:PolicyARN": ecs}))


if __name__ == "__main__":
    unittest.main()
