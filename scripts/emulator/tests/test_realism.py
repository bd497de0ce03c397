"""The AWS realism behaviours against a real moto 5.2.1: each test shows what moto does by itself
(`self.raw`) next to what the layer does with the behaviour on (`self.patched`). Windows and
delays are short fixed values here; the defaults are in realism.py."""

import json
import time
import unittest
import urllib.request

from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from berth_emulator.faults import FAULTS
from berth_emulator.realism import BEHAVIOURS, REALISM, RealismError, normalize, parse_spec
from tests.realmoto import RealMotoTest

# Long enough for the calls a test makes inside it, even on a loaded machine; each test polls for
# the end of it with a deadline.
WINDOW = {"min_seconds": 1.5, "max_seconds": 1.5}
# One of moto's own images (DescribeImages for all of Amazon's takes moto over ten seconds).
IMAGE = "ami-03cf127a"


class ConsistencyTests(RealMotoTest):
    def test_a_new_vpc_is_unknown_for_a_while(self):
        raw = self.raw("ec2")
        vpc = raw.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        self.assertEqual(len(raw.describe_vpcs(VpcIds=[vpc])["Vpcs"]), 1, "moto knows it at once")

        self.realism({"consistency": WINDOW})
        ec2 = self.patched("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "t", "Value": "new"}]}])["Vpc"]["VpcId"]
        message = self.assertAWSError("InvalidVpcID.NotFound", ec2.describe_vpcs, VpcIds=[vpc])
        self.assertEqual(message, f"The vpc ID '{vpc}' does not exist")
        self.assertAWSError("InvalidVpcID.NotFound", ec2.modify_vpc_attribute, VpcId=vpc, EnableDnsHostnames={"Value": True})
        self.assertAWSError("InvalidVpcID.NotFound", ec2.create_subnet, VpcId=vpc, CidrBlock="10.2.0.0/24")
        # A filtered describe leaves it out; a delete that says "not found" deleted nothing.
        self.assertEqual(ec2.describe_vpcs(Filters=[{"Name": "tag:t", "Values": ["new"]}])["Vpcs"], [])
        self.assertAWSError("InvalidVpcID.NotFound", ec2.delete_vpc, VpcId=vpc)
        self.assertEqual(len(raw.describe_vpcs(VpcIds=[vpc])["Vpcs"]), 1)
        self.eventually(lambda: ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"], message="the VPC becoming known")
        self.assertEqual(len(ec2.describe_vpcs(Filters=[{"Name": "tag:t", "Values": ["new"]}])["Vpcs"]), 1)

    def test_new_groups_gateways_and_instances(self):
        self.realism({"consistency": WINDOW})
        ec2 = self.patched("ec2")
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
        self.assertEqual(self.assertAWSError("InvalidGroup.NotFound", ec2.authorize_security_group_ingress, GroupId=group,
                                             IpPermissions=[{"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1,
                                                             "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]),
                         f"The security group '{group}' does not exist")
        gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.assertAWSError("InvalidInternetGatewayID.NotFound", ec2.attach_internet_gateway, InternetGatewayId=gateway, VpcId=vpc)
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        self.assertAWSError("InvalidRouteTableID.NotFound", ec2.describe_route_tables, RouteTableIds=[table])
        instance = ec2.run_instances(ImageId=IMAGE, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        self.assertAWSError("InvalidInstanceID.NotFound", ec2.terminate_instances, InstanceIds=[instance])
        self.assertNotIn(instance, [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]])
        state = self.raw("ec2").describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]["Name"]
        self.assertEqual(state, "running", "the terminate that said NotFound terminated nothing")
        self.eventually(lambda: ec2.terminate_instances(InstanceIds=[instance]), message="the instance becoming known")

    def test_off_by_default(self):
        ec2 = self.patched("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
        self.assertEqual(len(ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]), 1)


class PropagationTests(RealMotoTest):
    TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"}]})

    def test_a_new_task_role(self):
        raw_role = self.raw("iam").create_role(RoleName="raw", AssumeRolePolicyDocument=self.TRUST)["Role"]["Arn"]
        definition, subnets, group = self.fargate_setup(self.raw("ecs"), self.raw("ec2"), execution_role=raw_role)
        self.assertEqual(len(self.run_task(self.raw("ecs"), definition, [subnets["us-east-2a"]], group)["tasks"]), 1,
                         "moto runs the task with a role made a moment ago")

        self.realism({"propagation": WINDOW})
        role = self.patched("iam").create_role(RoleName="new", AssumeRolePolicyDocument=self.TRUST)["Role"]["Arn"]
        ecs = self.patched("ecs")
        definition = ecs.register_task_definition(
            family="g", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
            executionRoleArn=role, containerDefinitions=[{"name": "c", "image": "busybox", "memory": 512}],
        )["taskDefinition"]["taskDefinitionArn"]
        message = self.assertAWSError("ClientException", self.run_task, ecs, definition, [subnets["us-east-2a"]], group)
        self.assertEqual(message, f"ECS was unable to assume the role '{role}' that was provided for this task. Please verify "
                                  "that the role being passed has the proper trust relationship and permissions and that "
                                  "your IAM user has permissions to pass this role.")
        tasks = self.eventually(lambda: self.run_task(ecs, definition, [subnets["us-east-2a"]], group)["tasks"])
        self.assertEqual(len(tasks), 1)

    def test_the_ecs_service_linked_role(self):
        self.raw("iam").create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
        self.raw("ecs").create_cluster(clusterName="raw", capacityProviders=["FARGATE"])  # moto: fine at once

        self.realism({"propagation": WINDOW})
        self.account = self.account[::-1]  # a fresh account: its service-linked role is new
        from berth_emulator.accounts import ACCOUNTS
        ACCOUNTS.register(self.key, self.account)
        ecs = self.patched("ecs")
        self.patched("iam").create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
        message = self.assertAWSError("InvalidParameterException", ecs.create_cluster, clusterName="c",
                                      capacityProviders=["FARGATE", "FARGATE_SPOT"])
        self.assertEqual(message, "Unable to assume the service linked role. Please verify that the ECS service linked role exists.")
        ecs.create_cluster(clusterName="plain")  # without capacity providers the role is not needed
        self.eventually(lambda: ecs.create_cluster(clusterName="c", capacityProviders=["FARGATE"]))

    def test_a_new_instance_profile(self):
        self.realism({"propagation": WINDOW})
        iam, ec2 = self.patched("iam"), self.patched("ec2")
        launch = dict(ImageId=IMAGE, InstanceType="t3.micro", MinCount=1, MaxCount=1)
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=self.TRUST)
        profile = iam.create_instance_profile(InstanceProfileName="p")["InstanceProfile"]["Arn"]
        iam.add_role_to_instance_profile(InstanceProfileName="p", RoleName="r")
        message = self.assertAWSError("InvalidParameterValue", ec2.run_instances, IamInstanceProfile={"Arn": profile}, **launch)
        self.assertEqual(message, f"Value ({profile}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN")
        message = self.assertAWSError("InvalidParameterValue", ec2.run_instances, IamInstanceProfile={"Name": "p"}, **launch)
        self.assertEqual(message, "Value (p) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")
        self.eventually(lambda: ec2.run_instances(IamInstanceProfile={"Arn": profile}, **launch))
        # moto by itself: usable at once.
        self.raw("iam").create_instance_profile(InstanceProfileName="raw")
        self.raw("ec2").run_instances(IamInstanceProfile={"Name": "raw"}, **launch)


class QuotaTests(RealMotoTest):
    def test_vpcs_and_internet_gateways_per_region(self):
        raw = self.raw("ec2")
        for n in range(6):
            raw.create_vpc(CidrBlock=f"10.{n}.0.0/16")
            raw.create_internet_gateway()
        self.assertEqual(len(raw.describe_vpcs()["Vpcs"]), 7, "moto: no limit (the default VPC and six)")

        self.account = self.account[::-1]
        from berth_emulator.accounts import ACCOUNTS
        ACCOUNTS.register(self.key, self.account)
        self.realism({"quotas": True})
        ec2 = self.patched("ec2")
        for n in range(4):  # the default VPC counts: five in all
            ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")
        self.assertEqual(self.assertAWSError("VpcLimitExceeded", ec2.create_vpc, CidrBlock="10.9.0.0/16"),
                         "The maximum number of VPCs has been reached.")
        for _ in range(5):
            ec2.create_internet_gateway()
        self.assertEqual(self.assertAWSError("InternetGatewayLimitExceeded", ec2.create_internet_gateway),
                         "The maximum number of internet gateways has been reached.")
        # Another Region has its own.
        self.patched("ec2", region="eu-west-2").create_vpc(CidrBlock="10.0.0.0/16")

    def test_on_demand_and_spot_vcpus(self):
        self.realism({"quotas": {"on_demand_vcpus": {"standard": 4}, "spot_vcpus": {"standard": 2}}})
        ec2 = self.patched("ec2")
        launch = dict(ImageId=IMAGE, InstanceType="t3.micro", MinCount=1, MaxCount=1)  # 2 vCPUs
        ec2.run_instances(**launch)
        ec2.run_instances(**launch)
        message = self.assertAWSError("VcpuLimitExceeded", ec2.run_instances, **launch)
        self.assertTrue(message.startswith("You have requested more vCPU capacity than your current vCPU limit of 4 allows"))
        spot = dict(launch, InstanceMarketOptions={"MarketType": "spot"})
        ec2.run_instances(**spot)  # Spot has its own quota
        self.assertAWSError("MaxSpotInstanceCountExceeded", ec2.run_instances, **spot)
        # G instances count against another bucket.
        ec2.run_instances(**dict(launch, InstanceType="g4dn.xlarge"))
        # Terminated instances free their vCPUs.
        running = [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
                   if i["InstanceType"] == "t3.micro" and not i.get("InstanceLifecycle")]
        ec2.terminate_instances(InstanceIds=running[:1])
        ec2.run_instances(**launch)

    def test_fargate_vcpus(self):
        definition, subnets, group = self.fargate_setup(self.raw("ecs"), self.raw("ec2"))
        for _ in range(3):
            self.assertEqual(len(self.run_task(self.raw("ecs"), definition, [subnets["us-east-2a"]], group)["tasks"]), 1)

        self.realism({"quotas": {"fargate_vcpus": 4, "fargate_spot_vcpus": 1}})
        ecs = self.patched("ecs")
        answer = self.run_task(ecs, definition, [subnets["us-east-2a"]], group)  # 3 running + 1 = 4
        self.assertEqual(len(answer["tasks"]), 1)
        answer = self.run_task(ecs, definition, [subnets["us-east-2a"]], group)
        self.assertEqual(answer["tasks"], [])
        self.assertEqual(answer["failures"], [{"reason": "You’ve reached the limit on the number of vCPUs you can run concurrently"}])
        spot = ecs.run_task(cluster="c", taskDefinition=definition, capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT"}],
                            networkConfiguration={"awsvpcConfiguration": {"subnets": [subnets["us-east-2a"]],
                                                                          "securityGroups": [group]}})
        self.assertEqual(len(spot["tasks"]), 1, "Fargate Spot has a quota of its own")
        first = ecs.list_tasks(cluster="c")["taskArns"][0]
        ecs.stop_task(cluster="c", task=first)
        self.assertEqual(len(self.run_task(ecs, definition, [subnets["us-east-2a"]], group)["tasks"]), 1)


class CapacityTests(RealMotoTest):
    def setUp(self):
        super().setUp()
        ec2 = self.raw("ec2")
        self.subnets = {s["AvailabilityZone"]: s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]}

    def launch(self, client, zone, instance_type="m5.large"):
        return client.run_instances(ImageId=IMAGE, InstanceType=instance_type, MinCount=1, MaxCount=1,
                                    SubnetId=self.subnets[zone])

    def test_insufficient_capacity_in_one_zone(self):
        self.launch(self.raw("ec2"), "us-east-2a")  # moto: always
        self.realism({"capacity": {"instances": [{"instance_type": "m5.large", "zone": "us-east-2a"}]}})
        ec2 = self.patched("ec2")
        from botocore.exceptions import ClientError
        with self.assertRaises(ClientError) as raised:
            self.launch(ec2, "us-east-2a")
        error = raised.exception.response
        self.assertEqual((error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]), ("InsufficientInstanceCapacity", 500))
        self.assertEqual(error["Error"]["Message"],
                         "We currently do not have sufficient m5.large capacity in the Availability Zone you requested "
                         "(us-east-2a). Our system will be working on provisioning additional capacity. You can currently get "
                         "m5.large capacity by not specifying an Availability Zone in your request or choosing us-east-2b, "
                         "us-east-2c.")
        self.launch(ec2, "us-east-2b")
        self.launch(ec2, "us-east-2a", instance_type="t3.micro")  # other types are fine
        offered = ec2.describe_instance_type_offerings(LocationType="availability-zone", Filters=[
            {"Name": "instance-type", "Values": ["m5.large"]}])["InstanceTypeOfferings"]
        self.assertIn("us-east-2a", [o["Location"] for o in offered], "offered, just not available now")

    def test_unsupported_in_a_zone_and_for_a_while(self):
        unsupported = {"instance_type": "m5.*", "zone": "us-east-2c", "code": "Unsupported"}
        self.realism({"capacity": {"instances": [unsupported]}})
        ec2 = self.patched("ec2")
        message = self.assertAWSError("Unsupported", self.launch, ec2, "us-east-2c")
        self.assertEqual(message, "Your requested instance type (m5.large) is not supported in your requested Availability Zone "
                                  "(us-east-2c). Please retry your request by not specifying an Availability Zone or choosing "
                                  "us-east-2a, us-east-2b.")
        offered = ec2.describe_instance_type_offerings(LocationType="availability-zone", Filters=[
            {"Name": "instance-type", "Values": ["m5.large"]}])["InstanceTypeOfferings"]
        self.assertEqual(sorted(o["Location"] for o in offered), ["us-east-2a", "us-east-2b"])
        raw_offered = self.raw("ec2").describe_instance_type_offerings(LocationType="availability-zone", Filters=[
            {"Name": "instance-type", "Values": ["m5.large"]}])["InstanceTypeOfferings"]
        self.assertEqual(len(raw_offered), 3, "moto offers every type in every zone")
        # A shortage for a while: set just before the launch, so a slow machine does not outlast it.
        self.realism({"capacity": {"instances": [unsupported, {"instance_type": "t3.micro", "zone": "*", "seconds": 3}]}})
        self.assertAWSError("InsufficientInstanceCapacity", self.launch, ec2, "us-east-2a", "t3.micro")
        self.eventually(lambda: self.launch(ec2, "us-east-2a", "t3.micro"), message="capacity coming back")

    def test_fargate_capacity_per_zone(self):
        definition, subnets, group = self.fargate_setup(self.raw("ecs"), self.raw("ec2"))
        self.assertEqual(len(self.run_task(self.raw("ecs"), definition, [subnets["us-east-2a"]], group)["tasks"]), 1)
        self.realism({"capacity": {"fargate": [{"zone": "us-east-2a"}]}})
        ecs = self.patched("ecs")
        answer = self.run_task(ecs, definition, [subnets["us-east-2a"]], group)
        self.assertEqual(answer["failures"], [{"reason": "Capacity is unavailable at this time. Please try again later or in a "
                                                         "different availability zone"}])
        # With a subnet in another zone too, Fargate places the task there.
        answer = self.run_task(ecs, definition, [subnets["us-east-2a"], subnets["us-east-2b"]], group)
        self.assertEqual(len(answer["tasks"]), 1)


class LocalZoneTests(RealMotoTest):
    region = "us-east-1"

    def test_opted_in_local_and_wavelength_zones(self):
        raw = self.raw("ec2").describe_availability_zones()["AvailabilityZones"]
        self.assertEqual({z["ZoneType"] for z in raw}, {"availability-zone"})
        self.assertNotIn("OptInStatus", raw[0], "moto: Availability Zones only, without an opt-in status")

        self.realism({"local_zones": True})
        ec2 = self.patched("ec2")
        zones = ec2.describe_availability_zones()["AvailabilityZones"]
        local = [z for z in zones if z["ZoneType"] != "availability-zone"]
        self.assertEqual({z["ZoneType"] for z in local}, {"local-zone", "wavelength-zone"})
        bos = next(z for z in zones if z["ZoneName"] == "us-east-1-bos-1a")
        self.assertEqual((bos["OptInStatus"], bos["GroupName"], bos["ParentZoneName"], bos["State"]),
                         ("opted-in", "us-east-1-bos-1", "us-east-1c", "available"))
        self.assertLess("us-east-1-bos-1a", "us-east-1a", "sorts before the Availability Zones")
        self.assertEqual({z["OptInStatus"] for z in zones if z["ZoneType"] == "availability-zone"}, {"opt-in-not-required"})
        only = ec2.describe_availability_zones(Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}])
        self.assertEqual(len(only["AvailabilityZones"]), len(raw))
        self.assertEqual([z["ZoneName"] for z in ec2.describe_availability_zones(ZoneNames=["us-east-1-mia-1a"])["AvailabilityZones"]],
                         ["us-east-1-mia-1a"])


class ENILingerTests(RealMotoTest):
    def test_a_stopped_task_holds_its_group_and_subnet(self):
        definition, subnets, group = self.fargate_setup(self.raw("ecs"), self.raw("ec2"))
        task = self.run_task(self.raw("ecs"), definition, [subnets["us-east-2b"]], group)["tasks"][0]["taskArn"]
        self.raw("ecs").stop_task(cluster="c", task=task)
        self.raw("ec2").delete_security_group(GroupId=group)  # moto: free at once

        self.realism({"eni_linger": {"min_seconds": 0.5, "max_seconds": 0.5}})
        group = self.raw("ec2").create_security_group(GroupName="g2", Description="d", VpcId=self.raw("ec2").describe_vpcs(
            Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"])["GroupId"]
        ecs, ec2 = self.patched("ecs"), self.patched("ec2")
        task = self.run_task(ecs, definition, [subnets["us-east-2b"]], group)["tasks"][0]["taskArn"]
        ecs.stop_task(cluster="c", task=task)
        self.assertAWSError("DependencyViolation", ec2.delete_security_group, GroupId=group)
        self.assertAWSError("DependencyViolation", ec2.delete_subnet, SubnetId=subnets["us-east-2b"])
        self.eventually(lambda: ec2.delete_security_group(GroupId=group) or True, message="the interface going")


class LostAnswerTests(RealMotoTest):
    def test_the_create_happens_and_its_answer_is_lost(self):
        self.raw("ec2").create_vpc(CidrBlock="10.1.0.0/16")  # moto always answers
        self.realism({"lost_answers": {"rate": 1, "actions": ["CreateVpc"]}})
        ec2 = self.patched("ec2")
        with self.assertRaises((ConnectionClosedError, EndpointConnectionError, ConnectionError)):
            ec2.create_vpc(CidrBlock="10.2.0.0/16")
        cidrs = [v["CidrBlock"] for v in self.raw("ec2").describe_vpcs()["Vpcs"]]
        self.assertIn("10.2.0.0/16", cidrs, "the create took effect")
        ec2.create_internet_gateway()  # not listed: answered
        self.realism({"lost_answers": {"rate": 0}})
        ec2.create_vpc(CidrBlock="10.3.0.0/16")

    def test_once_loses_each_distinct_request_once(self):
        self.realism({"lost_answers": {"rate": 1, "once": True, "actions": ["CreateVpc"]}})
        ec2 = self.patched("ec2")

        def counts():
            stats = FAULTS.stats_for(self.key)
            return (stats["actions"].get("ec2:CreateVpc", 0),
                    stats["faults"].get("lost", 0) + stats["faults"].get("lost-reset", 0))
        # The first answer is lost; urllib3 sends the request again by itself, and that same
        # request is answered (both took effect).
        ec2.create_vpc(CidrBlock="10.4.0.0/16")
        self.assertEqual(counts(), (2, 1))
        # Other parameters are another request: its first answer is lost too.
        ec2.create_vpc(CidrBlock="10.5.0.0/16")
        self.assertEqual(counts(), (4, 2))
        # A request seen before is answered at once.
        ec2.create_vpc(CidrBlock="10.4.0.0/16")
        self.assertEqual(counts(), (5, 2))
        self.assertEqual(len(self.raw("ec2").describe_vpcs()["Vpcs"]), 6, "every create took effect, and the default VPC")

    def test_a_share_of_creates(self):
        self.realism({"lost_answers": {"rate": 0.5}, "seed": 7})
        ec2 = self.patched("ec2")
        for n in range(12):
            try:
                ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")
            except (ConnectionClosedError, EndpointConnectionError, ConnectionError):
                pass
            ec2.describe_vpcs()  # not a create: never lost
        stats = FAULTS.stats_for(self.key)
        lost = stats["faults"].get("lost", 0) + stats["faults"].get("lost-reset", 0)
        creates = stats["actions"]["ec2:CreateVpc"]
        # (botocore, like libcurl, sends a request again by itself when a kept-alive connection
        # closes without an answer: some creates went twice.)
        self.assertTrue(0 < lost < creates, stats)
        self.assertEqual(stats["actions"]["ec2:DescribeVpcs"], 12)
        self.assertEqual(len(self.raw("ec2").describe_vpcs()["Vpcs"]), 1 + creates, "every create took effect")


class ControlTests(RealMotoTest):
    def control(self, method, path, document=None):
        request = urllib.request.Request(self.proxy_url + path, method=method,
                                         data=json.dumps(document).encode() if document is not None else None,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def test_per_key_realism_over_the_default(self):
        self.assertEqual(self.control("POST", "/__berth/realism", {"key": self.key, "consistency": True,
                                                                  "quotas": {"vpcs": 2}})[0], 200)
        status, seen = self.control("GET", f"/__berth/realism?key={self.key}")
        self.assertEqual(status, 200)
        self.assertEqual(seen["consistency"], BEHAVIOURS["consistency"][1])
        self.assertEqual(seen["quotas"]["vpcs"], 2)
        self.assertEqual(seen["quotas"]["internet_gateways"], 5)
        self.assertIsNone(seen["propagation"])
        self.assertIsNone(self.control("GET", "/__berth/realism")[1]["consistency"], "the default is untouched")
        self.assertEqual(self.control("DELETE", f"/__berth/realism?key={self.key}")[0], 200)
        self.assertIsNone(self.control("GET", f"/__berth/realism?key={self.key}")[1]["consistency"])

    def test_bad_input_says_what_is_allowed(self):
        status, answer = self.control("POST", "/__berth/realism", {"key": self.key, "consistancy": True})
        self.assertEqual(status, 400)
        self.assertIn("unknown behaviour 'consistancy'; allowed: consistency, propagation", answer["error"])
        status, answer = self.control("POST", "/__berth/realism", {"key": self.key, "capacity": {"instances": [{"code": "Nope"}]}})
        self.assertEqual(status, 400)
        self.assertIn("InsufficientInstanceCapacity, Unsupported", answer["error"])
        self.assertEqual(self.control("DELETE", "/__berth/realism")[0], 400)


class SpecTests(unittest.TestCase):
    def test_specs(self):
        self.assertEqual(parse_spec("off"), {})
        self.assertEqual(set(parse_spec("all")), set(BEHAVIOURS))
        self.assertEqual(parse_spec("consistency, quotas"), {"consistency": True, "quotas": True})
        self.assertEqual(parse_spec('{"seed": 3}'), {"seed": 3})
        with self.assertRaises(RealismError):
            parse_spec("{nope")

    def test_normalize(self):
        config = normalize({"consistency": {"max_seconds": 0.5}, "propagation": False, "seed": 2}, now=100)
        self.assertEqual(config, {"seed": 2, "consistency": {"min_seconds": 0.0, "max_seconds": 0.5, "hide_from_filters": True},
                                  "propagation": None})
        capacity = normalize({"capacity": {"instances": [{"zone": "z", "seconds": 5}]}}, now=100)["capacity"]
        self.assertEqual(capacity["instances"], [{"zone": "z", "seconds": 5, "instance_type": "*",
                                                  "code": "InsufficientInstanceCapacity", "until": 105}])
        for bad, says in [({"consistency": {"min_seconds": 3, "max_seconds": 1}}, "min_seconds must not exceed"),
                          ({"lost_answers": {"rate": 2}}, "between 0 and 1"),
                          ({"quotas": {"on_demand_vcpus": {"inf": 1}}}, "allowed: standard, g, p"),
                          ({"quotas": {"vpcs": -1}}, "number >= 0"), ({"seed": "x"}, "integer"),
                          ({"eni_linger": 3}, "true, false or an object")]:
            with self.subTest(bad=bad), self.assertRaises(RealismError) as raised:
                normalize(bad)
            self.assertIn(says, str(raised.exception))

    def test_delays_are_seeded_per_thing(self):
        call = type("C", (), {"access_key": "AKIASPECTEST"})()
        REALISM.configure({"consistency": {"min_seconds": 0, "max_seconds": 2}, "seed": 1}, key="AKIASPECTEST")
        try:
            first = REALISM.delay(call, "consistency", "acct", "vpc-1")
            self.assertEqual(first, REALISM.delay(call, "consistency", "acct", "vpc-1"))
            self.assertNotEqual(first, REALISM.delay(call, "consistency", "acct", "vpc-2"))
            self.assertTrue(0 <= first <= 2)
            # Draws for a key and seed repeat when configured again.
            draws = [REALISM.chance(call, "lost_answers") for _ in range(5)]
            REALISM.configure({"seed": 1}, key="AKIASPECTEST")
            self.assertEqual(draws, [REALISM.chance(call, "lost_answers") for _ in range(5)])
        finally:
            REALISM.clear("AKIASPECTEST")


if __name__ == "__main__":
    unittest.main()
