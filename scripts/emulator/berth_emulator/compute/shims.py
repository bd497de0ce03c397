"""Commands an emulated instance's image would have, run inside its sandbox:
python3 -I shims.py NAME ARGS... (the instance's /usr/bin/docker, /usr/local/bin/dnf, ...
are wrappers that set BERTH_SHIM_* and exec this).

  docker run [options] IMAGE [COMMAND...]   the image's command from its local environment,
      in a container sandbox of its own (own filesystem over the instance's, own PID namespace;
      -v binds), on the instance's address whatever the network mode (--net=host is what
      Berth uses); -d detaches; --gpus is accepted (no GPU here). An image the emulation does
      not have fails as Docker does (exit 125). Also: pull, version, info, ps.
      Needs the daemon started (systemctl) unless the image shipped it running.
  dnf|yum install [-y] PKG...   "installs" docker (puts the docker command in place); other
      packages install nothing; every other dnf command succeeds.
  systemctl start|enable [--now]|restart|is-active docker   the emulated daemon; other units
      and commands succeed.
  aws secretsmanager get-secret-value --secret-id ID [--region R] [--query SecretString
      --output text]   what the AWS CLI (on Amazon Linux 2023's image) prints, read with the
      instance's role (secrets.py); other commands are not emulated (exit 1).
  shutdown [-h|-P|-H] [now|+M] | poweroff | halt   the instance shuts down (after M minutes):
      the emulator stops or terminates it per its InstanceInitiatedShutdownBehavior.
      `shutdown -r` and `reboot` are not emulated (exit 1)."""

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from berth_emulator.compute import sandbox as sandboxes  # noqa: E402
from berth_emulator.compute.containers import container_spec  # noqa: E402
from berth_emulator.compute.images import environment_for  # noqa: E402
from berth_emulator.compute.tasks import reference  # noqa: E402

DAEMON_PID = "/run/docker.pid"
DOCKER_BIN = "/usr/bin/docker"
NOT_RUNNING = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
WITH_VALUE = {"-e", "--env", "--env-file", "-v", "--volume", "--name", "--net", "--network", "--gpus", "--restart",
              "-w", "--workdir", "--entrypoint", "-p", "--publish", "--log-driver", "--log-opt", "-u", "--user",
              "-h", "--hostname", "--shm-size", "--ulimit", "-l", "--label", "--cpus", "-m", "--memory",
              "--pull", "--stop-timeout", "--stop-signal", "--mount", "--cap-add", "--cap-drop"}
FLAGS = {"-d", "--detach", "--rm", "-i", "-t", "-it", "-ti", "--interactive", "--tty", "--privileged", "--init",
         "-P", "--publish-all", "--read-only"}


def fail(message, code):
    print(message, file=sys.stderr, flush=True)
    return code


def docker(args):
    if not args:
        return fail("Usage:  docker [OPTIONS] COMMAND", 1)
    command, rest = args[0], args[1:]
    if command in ("version", "info", "ps", "pull", "run") and not os.path.exists(DAEMON_PID):
        return fail(("docker: " if command == "run" else "") + NOT_RUNNING, 125 if command == "run" else 1)
    if command == "version":
        print("Client: Docker Engine - emulated by Berth\nServer: Docker Engine - emulated by Berth")
        return 0
    if command == "info":
        print("Server:\n Containers: emulated\n Runtimes: runc (emulated by Berth)")
        return 0
    if command == "ps":
        print("CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES")
        return 0
    if command == "pull":
        image = rest[-1] if rest else ""
        if environment_for(image) is None:
            return fail(f"Error response from daemon: pull access denied for {image}, repository does not exist "
                        "or may require 'docker login'", 1)
        print(f"Status: Image is up to date for {reference(image)}")
        return 0
    if command == "run":
        return docker_run(rest)
    return fail(f"docker: '{command}' is not emulated by Berth's compute emulation (run, pull, version, info, ps are)", 1)


def parse_run(args):
    options, i = {"env": {}, "volumes": [], "detach": False}, 0
    while i < len(args) and args[i].startswith("-"):
        name, _, inline = args[i].partition("=")
        if name in FLAGS:
            options["detach"] |= name in ("-d", "--detach")
            i += 1
            continue
        if name not in WITH_VALUE:
            raise ValueError(f"docker: unknown flag: {name}")
        if inline:
            value = inline
            i += 1
        elif i + 1 < len(args):
            value = args[i + 1]
            i += 2
        else:
            raise ValueError(f"docker: flag needs an argument: {name}")
        if name in ("-e", "--env"):
            key, sep, val = value.partition("=")
            if sep:
                options["env"][key] = val
            elif key in os.environ:
                options["env"][key] = os.environ[key]
        elif name == "--env-file":
            with open(value) as f:
                for line in f:
                    line = line.strip()
                    if line and not line.startswith("#") and "=" in line:
                        key, _, val = line.partition("=")
                        options["env"][key] = val
        elif name in ("-v", "--volume"):
            parts = value.split(":")
            if len(parts) < 2:
                raise ValueError(f"docker: anonymous volumes are not emulated: {value}")
            options["volumes"].append([parts[0], parts[1], len(parts) > 2 and "ro" in parts[2].split(",")])
        elif name in ("-w", "--workdir"):
            options["workdir"] = value
        elif name == "--entrypoint":
            options["entrypoint"] = value
        elif name == "--name":
            options["name"] = value
    if i >= len(args):
        raise ValueError('"docker run" requires at least 1 argument.')
    return options, args[i], args[i + 1:]


def docker_run(args):
    try:
        options, image, command = parse_run(args)
    except (ValueError, OSError) as error:
        return fail(str(error), 125)
    environment = environment_for(image)
    if environment is None or not environment.installed():
        return fail(f"Unable to find image '{image}' locally\ndocker: Error response from daemon: pull access denied "
                    f"for {image.split(':')[0]}, repository does not exist or may require 'docker login'", 125)
    argv = ([options["entrypoint"]] if options.get("entrypoint") else []) + command
    if not argv:
        return fail("docker: Error response from daemon: no command specified", 125)
    container_id = secrets.token_hex(32)
    folder = f"/var/lib/docker/containers/{container_id}"
    os.makedirs(os.path.join(folder, "root"), mode=0o700)
    spec = container_spec(environment, os.environ["BERTH_SHIM_ADDRESS"], os.environ["BERTH_SHIM_HOSTNAME"], argv,
                          options["env"], options.get("workdir"), options["volumes"], uts=False)
    spec = dict(spec, work=os.path.join(folder, "root"), status=os.path.join(folder, "status"))
    spec_path = os.path.join(folder, "spec.json")
    fd = os.open(spec_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(spec, f)
    argv = sandboxes.launch_argv(spec_path, uts=False, pdeathsig=False)
    if options["detach"]:
        with open(os.path.join(folder, f"{container_id}-json.log"), "ab") as log:
            subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        print(container_id)
        return 0
    code = subprocess.call(argv)
    if os.path.exists(spec["status"]):
        return 127
    return code if code >= 0 else 128 - code


def dnf(args):
    if "install" in args:
        packages = [a for a in args[args.index("install") + 1:] if not a.startswith("-")]
        if "docker" in packages and not os.path.exists(DOCKER_BIN):
            with open("/usr/libexec/berth-emulator/docker") as source, open(DOCKER_BIN, "w") as target:
                target.write(source.read())
            os.chmod(DOCKER_BIN, 0o755)
            print("Installed:\n  docker-25.0.8-1.amzn2023.0.4.x86_64 (emulated)")
    print("Complete!")
    return 0


def systemctl(args):
    units = [a.removesuffix(".service") for a in args if not a.startswith("-")][1:]
    verb = next((a for a in args if not a.startswith("-")), "")
    if "docker" not in units:
        return 0
    if verb == "is-active":
        running = os.path.exists(DAEMON_PID)
        print("active" if running else "inactive")
        return 0 if running else 3
    if verb in ("start", "restart", "enable", "reload-or-restart") and (verb != "enable" or "--now" in args):
        if not os.path.exists(DOCKER_BIN):
            return fail(f"Failed to {verb} docker.service: Unit docker.service not found.", 5)
        with open(DAEMON_PID, "w") as f:
            f.write(f"{os.getpid()}\n")
    elif verb == "stop":
        if os.path.exists(DAEMON_PID):
            os.unlink(DAEMON_PID)
    return 0


def shutdown(name, args):
    if name == "reboot" or "-r" in args or "--reboot" in args:
        return fail("reboot is not emulated by Berth's compute emulation", 1)
    if "-c" in args:
        return 0
    when = next((a for a in args if not a.startswith("-")), "now" if name != "shutdown" else "+1")
    delay = 0 if when == "now" else int(when.lstrip("+")) * 60 if when.lstrip("+").isdigit() else None
    if delay is None:
        return fail(f"shutdown: time {when!r} is not emulated (now or +MINUTES)", 1)
    if delay and os.fork() != 0:
        print(f"Shutdown scheduled in {delay // 60} minute(s), use 'shutdown -c' to cancel.")
        return 0
    if delay:
        os.setsid()
        time.sleep(delay)
    request = urllib.request.Request(f"{os.environ['BERTH_SHIM_CONTROL']}/__berth/compute/instance-shutdown",
                                     data=json.dumps({"instance": os.environ["BERTH_SHIM_INSTANCE"]}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(request, timeout=30).read()
    return 0


def aws(args):
    def option(name):
        return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None
    if args[:2] != ["secretsmanager", "get-secret-value"]:
        return fail(f"aws: {' '.join(args[:2])[:80]!r} is not emulated by Berth's compute emulation "
                    "(secretsmanager get-secret-value is)", 1)
    secret_id = option("--secret-id")
    if not secret_id:
        return fail("aws: error: the following arguments are required: --secret-id", 252)
    request = urllib.request.Request(f"{os.environ['BERTH_SHIM_CONTROL']}/__berth/compute/instance-secret",
                                     data=json.dumps({"instance": os.environ["BERTH_SHIM_INSTANCE"], "secret": secret_id,
                                                      "region": option("--region")}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        answer = json.loads(urllib.request.urlopen(request, timeout=30).read())
    except urllib.error.HTTPError as error:
        return fail(f"An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: "
                    f"{error.read().decode('utf-8', 'replace')[:300]}", 254)
    if option("--query") == "SecretString" and option("--output") == "text":
        print(answer["SecretString"])
    else:
        print(json.dumps(answer, indent=4))
    return 0


def main():
    name, args = sys.argv[1], sys.argv[2:]
    if name == "aws":
        return aws(args)
    if name == "docker":
        return docker(args)
    if name in ("dnf", "yum"):
        return dnf(args)
    if name == "systemctl":
        return systemctl(args)
    if name in ("shutdown", "poweroff", "halt", "reboot"):
        return shutdown(name, args)
    return fail(f"no shim named {name}", 127)


if __name__ == "__main__":
    sys.exit(main())
