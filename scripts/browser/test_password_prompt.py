"""`berth console user add` asks for the password on a terminal: twice, with echo off.
(Not a browser test, but a terminal one: it runs with them, on a pseudo-terminal.)"""
import os
import pty
import select
import subprocess
import time
import unittest
import urllib.parse

from test_console import BERTH, _rand


class PasswordPrompt(unittest.TestCase):
    def setUp(self):
        server = os.environ["DATABASE_URL"]
        self.database = "berth_prompt_" + _rand(8)
        subprocess.run(["psql", "-q", "-X", server, "-c", f"create database {self.database}"], check=True, stdout=subprocess.DEVNULL)
        parts = urllib.parse.urlsplit(server)
        self.env = dict(os.environ, DATABASE_URL=urllib.parse.urlunsplit(parts._replace(path="/" + self.database)))
        subprocess.run([BERTH, "migrate"], env=self.env, check=True, capture_output=True, timeout=120)
        self.addCleanup(subprocess.run, ["psql", "-q", "-X", server, "-c", f"drop database if exists {self.database} with (force)"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def converse(self, answers):
        """Runs `console user add ttyuser` on a pseudo-terminal; answers each prompt in turn."""
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(BERTH, [BERTH, "console", "user", "add", "ttyuser"], self.env)
        out = b""

        def read_until(marker, timeout=30):
            nonlocal out
            deadline = time.monotonic() + timeout
            while marker not in out and time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.2)
                if ready:
                    try:
                        out += os.read(fd, 1024)
                    except OSError:
                        break
            return marker in out

        for prompt, answer in answers:
            self.assertTrue(read_until(prompt), out)
            os.write(fd, answer + b"\n")
        _, status = os.waitpid(pid, 0)
        try:
            while True:
                ready, _, _ = select.select([fd], [], [], 0.2)
                if not ready:
                    break
                chunk = os.read(fd, 1024)
                if not chunk:
                    break
                out += chunk
        except OSError:
            pass
        return os.waitstatus_to_exitcode(status), out.decode(errors="replace")

    def test_asks_twice_without_echo(self):
        code, out = self.converse([(b"Password for ttyuser: ", b"tty-password-1234"), (b"Again: ", b"tty-password-1234")])
        self.assertEqual(code, 0, out)
        self.assertIn("added console user ttyuser", out)
        self.assertNotIn("tty-password-1234", out)

    def test_two_different_answers_are_refused(self):
        code, out = self.converse([(b"Password for ttyuser: ", b"tty-password-1234"), (b"Again: ", b"tty-password-9999")])
        self.assertEqual(code, 2, out)
        self.assertIn("the two passwords differ", out)
        listed = subprocess.run([BERTH, "console", "user", "list"], env=self.env, capture_output=True, text=True)
        self.assertNotIn("ttyuser", listed.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
