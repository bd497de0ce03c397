import Foundation
import Provisioning
import Testing

/// How the cluster's TLS keys reach its Dask processes: the launcher that turns the secret's
/// variable into files, and the VM boot script that reads the secret (the key never in it).
@Suite struct DaskTLSTests {
    static let secret = #"{"ca": "CA PEM", "scheduler_cert": "S CERT", "scheduler_key": "S KEY", "worker_cert": "W CERT", "worker_key": "W KEY"}"#

    /// The launcher, run with the system's Python in place of Dask: the command it execs (with
    /// the TLS flags added, `{hostname}` replaced), what the files hold and their modes, and an
    /// environment without the secret but with encryption required.
    @Test func theLauncherWritesPrivateFilesAndExecsDaskWithTheFlags() throws {
        let probe = """
            import os, stat, sys
            args = sys.argv[1:]
            print("args", args[0], args[1])
            folder = os.path.dirname(args[args.index("--tls-key") + 1])
            print("folder", oct(stat.S_IMODE(os.stat(folder).st_mode)))
            for flag in ("--tls-ca-file", "--tls-cert", "--tls-key"):
                path = args[args.index(flag) + 1]
                print(flag, oct(stat.S_IMODE(os.stat(path).st_mode)), open(path).read())
            print("variable", "\(DaskTLS.variable)" in os.environ)
            print("require", os.environ.get("DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION"))
            import shutil; shutil.rmtree(folder)
            """
        let command = DaskTLS.command(.worker, ["python3", "-c", probe, DaskTLS.hostname, "--death-timeout"])
        #expect(Array(command.prefix(2)) == ["python", "-c"] && command[3] == "worker")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + command.dropFirst()
        process.environment = ["PATH": "/usr/bin:/bin", DaskTLS.variable: Self.secret, "HOSTNAME": "ip-10-64-0-9"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("args ip-10-64-0-9 --death-timeout"), "\(text)")
        #expect(lines.contains("folder 0o700"), "\(text)")
        #expect(lines.contains("--tls-ca-file 0o600 CA PEM"), "\(text)")
        #expect(lines.contains("--tls-cert 0o600 W CERT"), "\(text)")
        #expect(lines.contains("--tls-key 0o600 W KEY"), "\(text)")
        #expect(lines.contains("variable False") && lines.contains("require True"), "\(text)")
    }

    @Test func theLauncherRefusesToStartWithoutTheSecret() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + DaskTLS.command(.scheduler, ["true"]).dropFirst()
        process.environment = ["PATH": "/usr/bin:/bin"]
        let out = Pipe()
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(text.contains("\(DaskTLS.variable) is not set"), "\(text)")
    }

    /// The boot script names the secret (its ARN) and hands its value to Docker by the
    /// variable's name: no key is in the user data, and bash parses it.
    @Test func theBootScriptReadsTheSecretAndPassesItByName() throws {
        let arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:berth/acme/c-1/tls-AbCdEf"
        let launch = VMUserData.Launch(role: "worker", clusterID: "c-1", image: DaskImage.default,
                                       command: DaskTLS.command(.worker, ["dask", "worker", "tls://10.64.0.5:8786", "--name", VMUserData.instanceID]),
                                       gpu: false, secret: .init(arn: arn, variable: DaskTLS.variable))
        let script = VMUserData.script(launch)
        #expect(script.contains("BERTH_TLS=$(aws secretsmanager get-secret-value --region eu-west-2 --secret-id \(arn) --query SecretString --output text) && break"))
        #expect(script.contains("docker run --rm --net=host -e BERTH_TLS --name dask \(DaskImage.default) python -c '"))
        #expect(script.contains("export BERTH_TLS\n"))
        #expect(!script.contains("PRIVATE KEY") && !script.contains("CERTIFICATE"))
        // A secret that cannot be read shuts the instance down instead of running without TLS.
        #expect(script.contains("cannot read the cluster's TLS secret"))
        #expect(try DaskImageTests.bashParses(script))
    }
}
