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


if __name__ == "__main__":
    unittest.main()
