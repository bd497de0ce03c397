// XML decoding benchmark (not a test): how fast Berth turns big Query/XML answers into its
// typed models, and what a hostile-size answer costs. Run through scripts/bench-xml, which
// runs each case in a process of its own so the peak memory figure is that case's.
//
//   bench-xml CASE [--seconds S]     CASE: instances | security-groups | small | large-text | many-elements
//
// Prints one line: case, document size, runs, median and best time per parse, parse
// throughput, median time of parse + typed decoding, peak resident memory.
import Foundation
@testable import AWS

/// One EC2 instance as DescribeInstances describes it (the fields AWS's API reference shows
/// for a VPC instance with one network interface, one volume, Berth's tags).
func instanceItem(_ i: Int) -> String {
    let id = String(format: "i-%017x", 0xabc0000 + i)
    let ip = "10.0.\(i / 250).\(i % 250 + 4)"
    return """
        <item>
            <instanceId>\(id)</instanceId>
            <imageId>ami-0abcdef1234567890</imageId>
            <instanceState><code>16</code><name>running</name></instanceState>
            <privateDnsName>ip-\(ip.replacingOccurrences(of: ".", with: "-")).us-east-2.compute.internal</privateDnsName>
            <dnsName>ec2-3-15-0-\(i % 250).us-east-2.compute.amazonaws.com</dnsName>
            <reason/>
            <amiLaunchIndex>\(i % 5)</amiLaunchIndex>
            <productCodes/>
            <instanceType>m5.xlarge</instanceType>
            <launchTime>2026-11-20T10:\(String(format: "%02d", i % 60)):00.000Z</launchTime>
            <placement><availabilityZone>us-east-2a</availabilityZone><groupName/><tenancy>default</tenancy></placement>
            <monitoring><state>disabled</state></monitoring>
            <subnetId>subnet-0123456789abcdef0</subnetId>
            <vpcId>vpc-0123456789abcdef0</vpcId>
            <privateIpAddress>\(ip)</privateIpAddress>
            <ipAddress>3.15.0.\(i % 250)</ipAddress>
            <sourceDestCheck>true</sourceDestCheck>
            <groupSet><item><groupId>sg-0123456789abcdef0</groupId><groupName>berth-c-\(i / 5)</groupName></item></groupSet>
            <architecture>x86_64</architecture>
            <rootDeviceType>ebs</rootDeviceType>
            <rootDeviceName>/dev/xvda</rootDeviceName>
            <blockDeviceMapping>
                <item><deviceName>/dev/xvda</deviceName><ebs><volumeId>vol-0\(String(format: "%016x", i))</volumeId><status>attached</status><attachTime>2026-11-20T10:00:01.000Z</attachTime><deleteOnTermination>true</deleteOnTermination></ebs></item>
            </blockDeviceMapping>
            <instanceLifecycle>spot</instanceLifecycle>
            <spotInstanceRequestId>sir-\(String(format: "%08x", i))</spotInstanceRequestId>
            <virtualizationType>hvm</virtualizationType>
            <clientToken>berth-\(String(format: "%032x", i))</clientToken>
            <tagSet>
                <item><key>berth:managed</key><value>true</value></item>
                <item><key>berth:tenant</key><value>0d9c4b7e-1f2a-4c3b-9e8d-7a6b5c4d3e2f</value></item>
                <item><key>berth:cluster</key><value>5f4e3d2c-1b0a-4987-8765-43210fedcba\(i % 10)</value></item>
                <item><key>berth:step</key><value>worker_instances</value></item>
                <item><key>Name</key><value>berth-c\(i / 5)-worker-\(i % 5)</value></item>
            </tagSet>
            <hypervisor>xen</hypervisor>
            <networkInterfaceSet>
                <item>
                    <networkInterfaceId>eni-0\(String(format: "%016x", i))</networkInterfaceId>
                    <subnetId>subnet-0123456789abcdef0</subnetId>
                    <vpcId>vpc-0123456789abcdef0</vpcId>
                    <description/>
                    <ownerId>123456789012</ownerId>
                    <status>in-use</status>
                    <macAddress>02:\(String(format: "%02x", i % 256)):3c:4d:5e:6f</macAddress>
                    <privateIpAddress>\(ip)</privateIpAddress>
                    <privateDnsName>ip-\(ip.replacingOccurrences(of: ".", with: "-")).us-east-2.compute.internal</privateDnsName>
                    <sourceDestCheck>true</sourceDestCheck>
                    <groupSet><item><groupId>sg-0123456789abcdef0</groupId><groupName>berth-c-\(i / 5)</groupName></item></groupSet>
                    <attachment><attachmentId>eni-attach-0\(String(format: "%016x", i))</attachmentId><deviceIndex>0</deviceIndex><status>attached</status><attachTime>2026-11-20T10:00:00.000Z</attachTime><deleteOnTermination>true</deleteOnTermination><networkCardIndex>0</networkCardIndex></attachment>
                    <association><publicIp>3.15.0.\(i % 250)</publicIp><publicDnsName>ec2-3-15-0-\(i % 250).us-east-2.compute.amazonaws.com</publicDnsName><ipOwnerId>amazon</ipOwnerId></association>
                    <privateIpAddressesSet>
                        <item><privateIpAddress>\(ip)</privateIpAddress><privateDnsName>ip-\(ip.replacingOccurrences(of: ".", with: "-")).us-east-2.compute.internal</privateDnsName><primary>true</primary><association><publicIp>3.15.0.\(i % 250)</publicIp><ipOwnerId>amazon</ipOwnerId></association></item>
                    </privateIpAddressesSet>
                    <ipv6AddressesSet/>
                    <interfaceType>interface</interfaceType>
                </item>
            </networkInterfaceSet>
            <ebsOptimized>true</ebsOptimized>
            <enaSupport>true</enaSupport>
            <cpuOptions><coreCount>2</coreCount><threadsPerCore>2</threadsPerCore></cpuOptions>
            <capacityReservationSpecification><capacityReservationPreference>open</capacityReservationPreference></capacityReservationSpecification>
            <hibernationOptions><configured>false</configured></hibernationOptions>
            <metadataOptions><state>applied</state><httpTokens>required</httpTokens><httpPutResponseHopLimit>2</httpPutResponseHopLimit><httpEndpoint>enabled</httpEndpoint><httpProtocolIpv6>disabled</httpProtocolIpv6><instanceMetadataTags>disabled</instanceMetadataTags></metadataOptions>
            <enclaveOptions><enabled>false</enabled></enclaveOptions>
            <bootMode>uefi-preferred</bootMode>
            <platformDetails>Linux/UNIX</platformDetails>
            <usageOperation>RunInstances</usageOperation>
            <usageOperationUpdateTime>2026-11-20T10:00:00.000Z</usageOperationUpdateTime>
            <privateDnsNameOptions><hostnameType>ip-name</hostnameType><enableResourceNameDnsARecord>false</enableResourceNameDnsARecord><enableResourceNameDnsAAAARecord>false</enableResourceNameDnsAAAARecord></privateDnsNameOptions>
            <maintenanceOptions><autoRecovery>default</autoRecovery></maintenanceOptions>
            <currentInstanceBootMode>legacy-bios</currentInstanceBootMode>
        </item>
        """
}

/// The start of an EC2 answer, up to its list's opening tag.
func ec2AnswerStart(_ root: String, list: String) -> String {
    """
    <?xml version="1.0" encoding="UTF-8"?>
    <\(root) xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
        <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
        <\(list)>
    """
}

/// A DescribeInstances page of `count` instances, five to a reservation (one RunInstances
/// call of a 5-worker VM cluster).
func describeInstances(_ count: Int) -> String {
    var xml = ec2AnswerStart("DescribeInstancesResponse", list: "reservationSet")
    for r in stride(from: 0, to: count, by: 5) {
        xml += "<item><reservationId>r-0\(String(format: "%016x", r))</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet>"
        for i in r..<min(r + 5, count) { xml += instanceItem(i) }
        xml += "</instancesSet><requesterId>940372691376</requesterId></item>"
    }
    return xml + "</reservationSet><nextToken>eyJ2IjoiMiIsImMiOiJleGFtcGxlIn0=</nextToken></DescribeInstancesResponse>"
}

/// A DescribeSecurityGroups answer of `count` groups: the scheduler ports open to a CIDR, to
/// the group itself and to a second group, all egress, Berth's tags.
func describeSecurityGroups(_ count: Int) -> String {
    var xml = ec2AnswerStart("DescribeSecurityGroupsResponse", list: "securityGroupInfo")
    for g in 0..<count {
        let id = String(format: "sg-%017x", g)
        xml += """
            <item>
                <ownerId>123456789012</ownerId>
                <groupId>\(id)</groupId>
                <groupName>berth-cluster-\(g)</groupName>
                <groupDescription>Berth cluster \(g): Dask scheduler and workers</groupDescription>
                <vpcId>vpc-0123456789abcdef0</vpcId>
                <ipPermissions>
                    <item><ipProtocol>tcp</ipProtocol><fromPort>8786</fromPort><toPort>8787</toPort><groups/><ipRanges><item><cidrIp>10.0.0.0/16</cidrIp><description>Dask scheduler &amp; dashboard</description></item></ipRanges><ipv6Ranges/><prefixListIds/></item>
                    <item><ipProtocol>-1</ipProtocol><groups><item><userId>123456789012</userId><groupId>\(id)</groupId></item></groups><ipRanges/><ipv6Ranges/><prefixListIds/></item>
                    <item><ipProtocol>tcp</ipProtocol><fromPort>0</fromPort><toPort>65535</toPort><groups><item><userId>123456789012</userId><groupId>sg-0fedcba9876543210</groupId><description>workers</description></item></groups><ipRanges/><ipv6Ranges/><prefixListIds/></item>
                </ipPermissions>
                <ipPermissionsEgress>
                    <item><ipProtocol>-1</ipProtocol><groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges><ipv6Ranges/><prefixListIds/></item>
                </ipPermissionsEgress>
                <tagSet>
                    <item><key>berth:managed</key><value>true</value></item>
                    <item><key>berth:tenant</key><value>0d9c4b7e-1f2a-4c3b-9e8d-7a6b5c4d3e2f</value></item>
                    <item><key>berth:cluster</key><value>5f4e3d2c-1b0a-4987-8765-43210fedcba\(g % 10)</value></item>
                    <item><key>berth:step</key><value>security_group</value></item>
                    <item><key>Name</key><value>berth-cluster-\(g)</value></item>
                </tagSet>
            </item>
            """
    }
    return xml + "</securityGroupInfo></DescribeSecurityGroupsResponse>"
}

/// The typical answer: one VPC.
let smallAnswer = """
    <?xml version="1.0" encoding="UTF-8"?>
    <DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
        <requestId>7a62c49f-347e-4fc4-9331-example</requestId>
        <vpcSet><item><vpcId>vpc-0123456789abcdef0</vpcId><state>available</state><cidrBlock>10.0.0.0/16</cidrBlock>
        <dhcpOptionsId>dopt-19edf471</dhcpOptionsId><instanceTenancy>default</instanceTenancy><isDefault>false</isDefault>
        <tagSet><item><key>berth:managed</key><value>true</value></item><item><key>Name</key><value>berth-net-us-east-2</value></item></tagSet></item></vpcSet>
    </DescribeVpcsResponse>
    """

struct Case {
    let document: [UInt8]
    /// Typed decoding after the parse; returns how many models it made.
    let decode: (XMLElement) -> Int
}

func makeCase(_ name: String) -> Case? {
    switch name {
    case "instances":
        return Case(document: Array(describeInstances(1_000).utf8)) { root in
            root.items("reservationSet").flatMap { $0.items("instancesSet").map(Instance.init(xml:)) }.count
        }
    case "security-groups":
        return Case(document: Array(describeSecurityGroups(1_000).utf8)) { root in
            root.items("securityGroupInfo").map(SecurityGroup.init(xml:)).count
        }
    case "small":
        return Case(document: Array(smallAnswer.utf8)) { root in root.items("vpcSet").map(Vpc.init(xml:)).count }
    case "large-text":
        // 10 MiB of text in 160 elements of 64 KiB (an answer that is big but flat).
        let blob = "<blob>" + String(repeating: "0123456789abcdef", count: 4096) + "</blob>"
        return Case(document: Array(("<Response>" + String(repeating: blob, count: 160) + "</Response>").utf8)) { root in
            root.children.count
        }
    case "many-elements":
        // 10 MB of empty elements under the root (the most nodes per byte).
        let items = String(repeating: "<a/>", count: (10 << 20) / 4)
        return Case(document: Array("<Response>\(items)</Response>".utf8)) { root in root.children.count }
    default:
        return nil
    }
}

func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024 // kilobytes on Linux
}

let arguments = CommandLine.arguments.dropFirst()
guard let name = arguments.first, let benchCase = makeCase(name) else {
    FileHandle.standardError.write(Data("usage: bench-xml instances|security-groups|small|large-text|many-elements [--seconds S]\n".utf8))
    exit(2)
}
var budget = 3.0
if let index = arguments.firstIndex(of: "--seconds"), index + 1 < arguments.endIndex, let value = Double(arguments[index + 1]) {
    budget = value
}

let clock = ContinuousClock()
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

// Parse only, then parse + typed decoding, each repeated for about `budget` seconds (at least 3 runs).
var parseTimes: [Double] = []
var decodeTimes: [Double] = []
var models = 0
var refusal: String?
let started = clock.now
while parseTimes.count < 3 || seconds(clock.now - started) < budget / 2 {
    let t0 = clock.now
    do { _ = try XMLDocument.parse(benchCase.document) } catch { refusal = "\(error)"; parseTimes.append(seconds(clock.now - t0)); break }
    parseTimes.append(seconds(clock.now - t0))
}
if refusal == nil {
    let decodeStarted = clock.now
    while decodeTimes.count < 3 || seconds(clock.now - decodeStarted) < budget / 2 {
        let t0 = clock.now
        let root = try XMLDocument.parse(benchCase.document)
        models = benchCase.decode(root)
        decodeTimes.append(seconds(clock.now - t0))
    }
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
let mib = Double(benchCase.document.count) / 1_048_576
var line = name.padding(toLength: 16, withPad: " ", startingAt: 0)
line += String(format: " %7.2f MiB  runs %4d  parse median %8.3f ms  best %8.3f ms  %7.1f MiB/s", mib, parseTimes.count, median(parseTimes) * 1000, parseTimes.min()! * 1000,
                  mib / median(parseTimes))
if let refusal {
    line += "  refused: \(refusal.prefix(120))"
} else {
    line += String(format: "  parse+decode median %8.3f ms (%d models)", median(decodeTimes) * 1000, models)
}
line += String(format: "  peak RSS %6.1f MiB", peakResidentMiB())
print(line)
