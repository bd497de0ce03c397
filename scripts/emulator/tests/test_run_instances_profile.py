"""RunInstances of several instances with an instance profile (ec2_run_instances_instance_profile):
moto gives it to the first only; through the emulator every instance has it, as in AWS."""

from tests.realmoto import RealMotoTest

AMI = "ami-760aaa0f"  # one of moto's Amazon Linux images


class InstanceProfileTests(RealMotoTest):
    def test_every_instance_of_a_launch_gets_the_profile(self):
        iam = self.raw("iam")
        iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")
        arn = iam.create_instance_profile(InstanceProfileName="p")["InstanceProfile"]["Arn"]
        iam.add_role_to_instance_profile(InstanceProfileName="p", RoleName="r")

        def launch(ec2):
            ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=AMI, MinCount=3, MaxCount=3, InstanceType="m6i.large",
                                                                IamInstanceProfile={"Arn": arn})["Instances"]]
            found = self.raw("ec2").describe_instances(InstanceIds=ids)["Reservations"][0]["Instances"]
            return sorted(i.get("IamInstanceProfile", {}).get("Arn", "none") for i in found)

        self.assertEqual(launch(self.raw("ec2")), [arn, "none", "none"])  # moto: the first only
        self.assertEqual(launch(self.patched("ec2")), [arn, arn, arn])
