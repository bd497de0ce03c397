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

        public init(role: String, clusterID: String, image: String, command: [String], gpu: Bool) {
            self.role = role
            self.clusterID = clusterID
            self.image = image
            self.command = command
            self.gpu = gpu
        }
    }

    /// The port whose `/health` the script probes (Dask's dashboard port, scheduler and workers).
    public static let healthPort = 8787

    /// The console line that says the instance's Dask process serves.
    public static func healthyLine(_ role: String) -> String { "berth: the Dask \(role) is healthy" }

    public static func script(_ launch: Launch) -> String {
        let run = ["docker", "run", "--rm", "--net=host"] + (launch.gpu ? ["--gpus", "all"] : []) + ["--name", "dask"]
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
        echo "berth: starting the Dask \(launch.role) on $instance_id"
        \(words.joined(separator: " ")) &
        dask_pid=$!
        # The console line Berth's readiness step waits for (GetConsoleOutput): Dask serves.
        until curl -fsS -m 4 -o /dev/null http://localhost:\(healthPort)/health; do
            kill -0 "$dask_pid" 2>/dev/null || break
            sleep 2
        done
        kill -0 "$dask_pid" 2>/dev/null && echo "\(healthyLine(launch.role))"
        wait "$dask_pid"
        status=$?
        echo "berth: Dask exited with status $status; shutting down"
        shutdown -h now

        """
    }

    private static let safeCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,".unicodeScalars)

    /// One shell word: single-quoted unless plainly safe.
    static func quote(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy { safeCharacters.contains($0) }
        return !word.isEmpty && safe ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
