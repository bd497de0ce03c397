"""GetConsoleOutput for instances the compute emulation does not run (ec2_console_output_booted):
moto's fixed text next to the stand-in console of a booted Dask instance."""

import base64

from tests.realmoto import RealMotoTest

AMI = "ami-760aaa0f"  # one of moto's Amazon Linux images


def user_data(text):
    return base64.b64encode(text.encode()).decode()


class BootedConsoleTests(RealMotoTest):
    def launch(self, ec2, script):
        return ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="m6i.large",
                                 UserData=script)["Instances"][0]

    def test_moto_returns_fixed_text_and_the_stand_in_shows_berths_lines(self):
        ec2 = self.patched("ec2")
        scheduler = self.launch(ec2, "#!/bin/bash\ndocker run --rm --net=host IMAGE dask scheduler --port 8786\n")
        address = scheduler["PrivateIpAddress"]
        worker = self.launch(ec2, f"#!/bin/bash\ndocker run IMAGE dask worker tcp://{address}:8786 --name x\n")
        other = self.launch(ec2, "#!/bin/bash\ndocker run IMAGE dask worker tcp://10.9.9.9:8786\n")
        plain = self.launch(ec2, "#!/bin/bash\necho hello\n")

        raw = self.raw("ec2").get_console_output(InstanceId=scheduler["InstanceId"])["Output"]
        self.assertIn("Linux version 2.6.16-xenU", raw)  # moto: the same text for every instance
        self.assertNotIn("berth:", raw)

        console = ec2.get_console_output(InstanceId=scheduler["InstanceId"], Latest=True)["Output"]
        self.assertIn("berth: the Dask scheduler is healthy", console)
        self.assertIn("berth: workers connected: 1", console.splitlines())  # not the worker aimed elsewhere
        self.assertIn("berth: the Dask worker is healthy", ec2.get_console_output(InstanceId=worker["InstanceId"])["Output"])
        self.assertIn("berth: the Dask worker is healthy", ec2.get_console_output(InstanceId=other["InstanceId"])["Output"])
        # An instance that starts no Dask keeps moto's answer.
        self.assertEqual(ec2.get_console_output(InstanceId=plain["InstanceId"])["Output"],
                         self.raw("ec2").get_console_output(InstanceId=plain["InstanceId"])["Output"])

        # A worker that is gone is no longer connected.
        ec2.terminate_instances(InstanceIds=[worker["InstanceId"]])
        console = ec2.get_console_output(InstanceId=scheduler["InstanceId"])["Output"]
        self.assertIn("berth: workers connected: 0", console.splitlines())
