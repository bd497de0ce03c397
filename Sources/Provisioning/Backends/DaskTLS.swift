import AWS
import Foundation

/// How a cluster's Dask processes get their certificates and require TLS, on either backend.
///
/// The cluster's Secrets Manager secret (`ClusterTLSSecret`) holds a JSON document: the CA
/// certificate and each role's certificate and private key. It reaches the container as the
/// variable `BERTH_TLS`: on ECS as a container `secrets` entry (ECS reads it with the task's
/// execution role when the task starts; the task definition holds only the secret's ARN); on a
/// VM the boot script reads it with the instance's role and passes it to `docker run -e
/// BERTH_TLS` (by name: the value is in neither the user data nor the command line).
///
/// The container runs `python -c <launcher> <role> dask …`: the launcher takes the variable out
/// of its environment, writes the three PEM files into a fresh 0700 folder (files 0600), and
/// execs Dask with `--tls-ca-file/--tls-cert/--tls-key` and
/// `DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION=True`. So Dask itself never sees the variable, and
/// the scheduler and every worker accept only peers with a certificate of the cluster's CA
/// (Dask sets `CERT_REQUIRED` and checks no host names). The dashboard port stays HTTP (`/health`).
public enum DaskTLS {
    /// The variable that carries the secret's JSON into the container.
    public static let variable = "BERTH_TLS"

    /// The argument the launcher replaces with the container's host name (on ECS the task's,
    /// since up to 10 workers share one RunTask override).
    public static let hostname = "{hostname}"

    public static let launcher = """
        import json, os, sys, tempfile
        role, argv = sys.argv[1], sys.argv[2:]
        if "\(variable)" not in os.environ:
            sys.exit("berth: \(variable) is not set: the cluster's TLS secret did not reach this container")
        tls = json.loads(os.environ.pop("\(variable)"))
        folder = tempfile.mkdtemp(prefix="berth-tls-")
        paths = {}
        for name, value in (("ca", tls["ca"]), ("cert", tls[role + "_cert"]), ("key", tls[role + "_key"])):
            paths[name] = os.path.join(folder, name + ".pem")
            with open(os.open(paths[name], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                f.write(value)
        host = os.environ.get("HOSTNAME") or os.uname().nodename
        argv = [host if word == "\(hostname)" else word for word in argv]
        os.environ["DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION"] = "True"
        os.execvp(argv[0], argv + ["--tls-ca-file", paths["ca"], "--tls-cert", paths["cert"], "--tls-key", paths["key"]])
        """

    public enum Role: String, Sendable { case scheduler, worker }

    /// `command` (`dask scheduler …` or `dask worker …`) run through the launcher as `role`.
    public static func command(_ role: Role, _ command: [String]) -> [String] {
        ["python", "-c", launcher, role.rawValue] + command
    }

    /// The secret's value: the CA certificate, and the scheduler's and workers' certificates and keys.
    static func secretValue(_ stored: ClusterTLSStore.Stored) throws -> String {
        let document = [
            "ca": stored.authority.certificatePEM,
            "scheduler_cert": stored.scheduler.certificatePEM, "scheduler_key": stored.scheduler.revealPrivateKey(),
            "worker_cert": stored.worker.certificatePEM, "worker_key": stored.worker.revealPrivateKey(),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    /// The ECS container's `secrets`: the whole secret as `BERTH_TLS`.
    static func containerSecrets(arn: String) -> [ContainerSecret] {
        [ContainerSecret(name: variable, valueFrom: arn)]
    }
}
