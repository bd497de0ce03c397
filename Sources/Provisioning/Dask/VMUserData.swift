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

    private static let safeCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,".unicodeScalars)

    /// One shell word: single-quoted unless plainly safe.
    static func quote(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy { safeCharacters.contains($0) }
        return !word.isEmpty && safe ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
