import Foundation

/// The boot script of a VM cluster's instance (EC2 user data): Docker runs the cluster's image
/// with the host's network, and when the container exits the instance shuts itself down (it is
/// launched with InstanceInitiatedShutdownBehavior `terminate`, so a dead Dask process does not
/// leave a billed machine behind).
///
/// It holds no secret: anyone who may describe the instance's attributes can read user data.
/// Docker is installed where the image lacks it (Amazon Linux 2023; the ECS-optimized GPU
/// image has it, and the NVIDIA runtime `--gpus all` needs). Pure: the same launch gives the
/// same text.
public enum VMUserData {
    /// An argument that becomes the instance's id at boot (cloud-init's record of it), e.g. a
    /// worker's `--name`, so each process is tied to its instance.
    public static let instanceID = "{instance-id}"

    public struct Launch: Sendable, Equatable {
        public var role: String  // "scheduler" or "worker", for the console lines
        public var clusterID: String
        public var image: String
        public var command: [String]  // what runs in the image: dask scheduler … / dask worker …
        public var gpu: Bool
        public var secret: Secret?

        public init(role: String, clusterID: String, image: String, command: [String], gpu: Bool, secret: Secret? = nil) {
            self.role = role
            self.clusterID = clusterID
            self.image = image
            self.command = command
            self.gpu = gpu
            self.secret = secret
        }
    }

    /// A Secrets Manager secret the script reads at boot with the instance's role (the AWS CLI
    /// of the image) into `variable`, which `docker run -e variable` passes on by name: its value
    /// is never in the user data, on the command line or on the console.
    public struct Secret: Sendable, Equatable {
        public var arn: String
        public var variable: String
        public init(arn: String, variable: String) {
            self.arn = arn
            self.variable = variable
        }

        /// The region in the ARN (`arn:aws:secretsmanager:REGION:…`).
        var region: String? {
            let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count > 3 && !parts[3].isEmpty ? String(parts[3]) : nil
        }
    }

    /// How long the boot script keeps trying to read the secret (the instance role's
    /// credentials and the secret's policy may take a little while to be usable).
    public static let secretAttempts = 30

    /// The port whose `/health` the script probes (Dask's dashboard port, scheduler and workers).
    public static let healthPort = 8787

    /// The console line that says the instance's Dask process serves.
    public static func healthyLine(_ role: String) -> String { "berth: the Dask \(role) is healthy" }

    /// The scheduler's console line with the number of workers connected to it, written each
    /// time the number changes (VMConsole reads the last one).
    public static let workersPrefix = "berth: workers connected: "
    public static func workersLine(_ count: Int) -> String { workersPrefix + "\(count)" }

    /// The console line when the Dask process exits (the instance then shuts down).
    public static let exitedPrefix = "berth: Dask exited with status "

    /// The scheduler's worker count, from its dashboard port's JSON (no bokeh needed).
    static let workerCountProbe = "import json, urllib.request; print(json.load(urllib.request.urlopen("
        + "'http://localhost:\(healthPort)/json/counts.json', timeout=4))['workers'])"

    public static func script(_ launch: Launch) -> String {
        let run = ["docker", "run", "--rm", "--net=host"] + (launch.gpu ? ["--gpus", "all"] : [])
            + (launch.secret.map { ["-e", $0.variable] } ?? []) + ["--name", "dask"]
        let words = run.map(quote) + ([launch.image] + launch.command).map { $0 == instanceID ? "\"$instance_id\"" : quote($0) }
        return """
        #!/bin/bash
        # Berth: the Dask \(launch.role) of cluster \(launch.clusterID). Runs the image with Docker,
        # then shuts the instance down (it terminates) when Dask exits.
        set -u
        instance_id=$(cat /var/lib/cloud/data/instance-id)
        if ! command -v docker >/dev/null 2>&1; then
            dnf install -y docker
        fi
        systemctl enable --now docker
        \(launch.secret.map(readSecret) ?? "")echo "berth: starting the Dask \(launch.role) on $instance_id"
        \(words.joined(separator: " ")) &
        dask_pid=$!
        # The console lines Berth's readiness step reads (GetConsoleOutput): Dask serves, and on
        # the scheduler how many workers are connected. Probed with python3, which every
        # cloud-init image has (curl would also do on AWS).
        until python3 -c \(quote(DaskHealth.probe)) 2>/dev/null; do
            kill -0 "$dask_pid" 2>/dev/null || break
            sleep 2
        done
        if kill -0 "$dask_pid" 2>/dev/null; then
            echo "\(healthyLine(launch.role))"\(launch.role == "scheduler" ? workerCountLoop : "")
        fi
        wait "$dask_pid"
        status=$?
        echo "\(exitedPrefix)$status; shutting down"
        shutdown -h now

        """
    }

    /// On the scheduler: a line each time the number of connected workers changes.
    private static var workerCountLoop: String {
        """

            last=""
            while kill -0 "$dask_pid" 2>/dev/null; do
                count=$(python3 -c \(quote(workerCountProbe)) 2>/dev/null) && [ "$count" != "$last" ] \\
                    && echo "\(workersPrefix)$count" && last=$count
                sleep 2
            done &
        """
    }

    /// Lines that read `secret` into its variable (retrying), or shut the instance down.
    private static func readSecret(_ secret: Secret) -> String {
        let region = secret.region.map { " --region \(quote($0))" } ?? ""
        let v = secret.variable
        return """
            # The cluster's TLS keys, read with the instance's role: never in the user data.
            \(v)=""
            for attempt in $(seq 1 \(secretAttempts)); do
                \(v)=$(aws secretsmanager get-secret-value\(region) --secret-id \(quote(secret.arn)) --query SecretString --output text) && break
                sleep 5
            done
            if [ -z "$\(v)" ]; then
                echo "berth: cannot read the cluster's TLS secret \(secret.arn); shutting down"
                shutdown -h now
                exit 1
            fi
            export \(v)

            """
    }

    private static let safeCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,".unicodeScalars)

    /// One shell word: single-quoted unless plainly safe.
    static func quote(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy { safeCharacters.contains($0) }
        return !word.isEmpty && safe ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
