"""Client-token patches against a real moto 5.2.1: moto's own behaviour next to the patched one."""

from tests.realmoto import RealMotoTest


class CreateRouteTableTokenTests(RealMotoTest):
    def test_one_table_per_token(self):
        raw = self.raw("ec2")
        vpc = raw.describe_vpcs()["Vpcs"][0]["VpcId"]
        first = raw.create_route_table(VpcId=vpc, ClientToken="raw")["RouteTable"]["RouteTableId"]
        self.assertNotEqual(first, raw.create_route_table(VpcId=vpc, ClientToken="raw")["RouteTable"]["RouteTableId"],
                            "moto makes another table for the same token")

        ec2 = self.patched("ec2")
        first = ec2.create_route_table(VpcId=vpc, ClientToken="t")["RouteTable"]["RouteTableId"]
        self.assertEqual(first, ec2.create_route_table(VpcId=vpc, ClientToken="t")["RouteTable"]["RouteTableId"])
        tables = [t for t in raw.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
                  if not any(a.get("Main") for a in t.get("Associations", []))]
        self.assertEqual(len(tables), 3, "the two raw tables and one patched")
        other = raw.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        self.assertAWSError("IdempotentParameterMismatch", ec2.create_route_table, VpcId=other, ClientToken="t")
