"""The web console in a real browser: headless Chromium (Debian's chromium and
chromium-driver) driven by selenium. Each run gets its own database on the server that
scripts/test started, its own AWS account in the emulator, a `berth console` and, when a
test needs one, a `berth worker`.

Environment: DATABASE_URL (a server where databases may be created), AWS_ENDPOINT_URL (the
emulator), BERTH_BIN (default .build/debug/berth), BERTH_SCREENSHOTS (a folder: save the main
pages in, as docs/console.md shows them).
"""
import base64
import json
import os
import random
import re
import string
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BERTH = os.environ.get("BERTH_BIN") or os.path.join(ROOT, ".build", "debug", "berth")
SCREENSHOTS = os.environ.get("BERTH_SCREENSHOTS")
OPERATOR_PASSWORD = "operator-password-1"
TENANT_PASSWORD = "tenant-password-123"
WAIT = 60  # seconds: every wait polls until this deadline, never a fixed sleep


def _rand(n, alphabet=string.ascii_lowercase + string.digits):
    return "".join(random.choice(alphabet) for _ in range(n))


class World:
    """The database, the emulator account, the console and the worker of one run."""

    def __init__(self):
        server = os.environ["DATABASE_URL"]
        self.database = "berth_browser_" + _rand(8)
        self.admin_url = server
        parts = urllib.parse.urlsplit(server)
        self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.database))
        subprocess.run(["psql", "-q", "-X", server, "-c", f"create database {self.database}"], check=True,
                       stdout=subprocess.DEVNULL)
        self.endpoint = os.environ["AWS_ENDPOINT_URL"]
        self.key = "AKIA" + _rand(16, string.ascii_uppercase + "234567")
        account = _rand(12, string.digits)
        request = urllib.request.Request(self.endpoint + "/__berth/accounts",
                                         data=json.dumps({"key": self.key, "account": account}).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(request, timeout=30).read()
        self.env = dict(os.environ, DATABASE_URL=self.url, AWS_ACCESS_KEY_ID=self.key,
                        AWS_SECRET_ACCESS_KEY="secret-" + _rand(20), AWS_SESSION_TOKEN="",
                        BERTH_MASTER_KEY=base64.b64encode(os.urandom(32)).decode(),
                        BERTH_AWS_POLL_INTERVAL="0.2", BERTH_LOG_LEVEL="info", BERTH_LOG_FORMAT="text")
        self.logs = tempfile.mkdtemp(prefix="berth-browser-")
        self.processes = []
        self.berth("migrate")
        self.tenant_a = "acme-" + _rand(4)
        self.tenant_b = "globex-" + _rand(4)
        self.berth("tenant", "create", self.tenant_a)
        self.berth("tenant", "create", self.tenant_b)
        self.berth("console", "user", "add", "ops", stdin=OPERATOR_PASSWORD + "\n")
        self.berth("console", "user", "add", "alice", "--tenant", self.tenant_a, stdin=TENANT_PASSWORD + "\n")
        console = self.start("console", "console", "--listen", "127.0.0.1:0")
        line = self.wait_for_log(console, "console listening")
        self.base = "http://" + re.search(r"address=(\S+)", line).group(1)

    def berth(self, *args, stdin=None):
        result = subprocess.run([BERTH, *args], env=self.env, input=stdin, text=True, capture_output=True, timeout=120)
        if result.returncode != 0:
            raise AssertionError(f"berth {' '.join(args)} exited {result.returncode}: {result.stdout}{result.stderr}")
        return result.stdout

    def start(self, name, *args):
        path = os.path.join(self.logs, name + ".log")
        with open(path, "w") as log:
            process = subprocess.Popen([BERTH, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        process.log_path = path
        self.processes.append(process)
        return process

    def wait_for_log(self, process, text):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with open(process.log_path) as f:
                for line in f:
                    if text in line:
                        return line
            if process.poll() is not None:
                break
            time.sleep(0.05)
        with open(process.log_path) as f:
            raise AssertionError(f"no '{text}' in the log:\n{f.read()[-3000:]}")

    def sql(self, query):
        return subprocess.run(["psql", "-q", "-X", "-t", "-A", self.url, "-c", query], check=True, text=True,
                              capture_output=True).stdout.strip()

    def close(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        subprocess.run(["psql", "-q", "-X", self.admin_url, "-c", f"drop database if exists {self.database} with (force)"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def setUpModule():
    global WORLD
    WORLD = World()


def tearDownModule():
    WORLD.close()


def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(WAIT)
    return driver


class ConsoleInABrowser(unittest.TestCase):
    def setUp(self):
        self.driver = browser()
        self.wait = WebDriverWait(self.driver, WAIT)

    def tearDown(self):
        self.driver.quit()

    def sign_in(self, name, password):
        self.driver.get(WORLD.base + "/login")
        self.driver.find_element(By.ID, "name").send_keys(name)
        self.driver.find_element(By.ID, "password").send_keys(password)
        self.driver.find_element(By.ID, "sign-in").click()
        self.wait.until(EC.presence_of_element_located((By.ID, "who")))
        self.assertEqual(self.driver.find_element(By.ID, "who").text, name)

    def screenshot(self, name):
        if SCREENSHOTS:
            os.makedirs(SCREENSHOTS, exist_ok=True)
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(1280, max(700, min(height, 2600)))
            self.driver.save_screenshot(os.path.join(SCREENSHOTS, name + ".png"))
            self.driver.set_window_size(1280, 900)

    def test_an_operator_follows_a_cluster_being_built_live(self):
        if SCREENSHOTS:
            self.driver.get(WORLD.base + "/login")
            self.screenshot("login")
        self.sign_in("ops", OPERATOR_PASSWORD)
        cluster_id = WORLD.berth("cluster", "create", "etl", "--tenant", WORLD.tenant_a, "--spec", '{"workers": 2}').split()[-1]
        self.driver.get(f"{WORLD.base}/clusters/{cluster_id}")
        self.wait.until(EC.text_to_be_present_in_element((By.ID, "live-status"), "live"))
        self.assertEqual(self.driver.find_element(By.ID, "cluster-state").text, "pending")
        before = len(self.driver.find_elements(By.CSS_SELECTOR, "#events li"))

        # The page stays open (no reload) while a worker builds the cluster: its events and
        # its state arrive over the event stream.
        worker = WORLD.start("worker", "worker", "--concurrency", "4", "--poll-interval", "200ms")
        self.wait.until(EC.text_to_be_present_in_element((By.ID, "cluster-state"), "ready"))
        messages = [li.text for li in self.driver.find_elements(By.CSS_SELECTOR, "#events li")]
        self.assertGreater(len(messages), before + 5, messages)
        self.assertTrue(any("starting" in m for m in messages), messages)
        self.assertTrue(any("ready: scheduler at" in m for m in messages), messages)
        self.assertEqual(len(messages), len(set(li.get_attribute("data-id")
                                                 for li in self.driver.find_elements(By.CSS_SELECTOR, "#events li"))))
        # A reload shows the same, now from the server's page.
        self.driver.refresh()
        self.assertIn("tls://", self.driver.find_element(By.ID, "scheduler").text)
        self.screenshot("cluster")
        worker.terminate()
        worker.wait(timeout=60)

        if SCREENSHOTS:
            WORLD.berth("cluster", "create", "web", "--tenant", WORLD.tenant_b)
            WORLD.berth("jobs", "enqueue", "noop", "--tenant", WORLD.tenant_b, "--args", '{"fail": "permanent"}', "--max-attempts", "1")
            for path, name in (("/", "overview"), ("/tenants", "tenants"), ("/clusters", "clusters"), ("/jobs", "jobs")):
                self.driver.get(WORLD.base + path)
                self.screenshot(name)

    def test_an_operator_cancels_a_queued_job(self):
        job = WORLD.berth("jobs", "enqueue", "noop", "--tenant", WORLD.tenant_a, "--run-in", "1h", "--json")
        job_id = json.loads(job)["ids"][0]
        self.sign_in("ops", OPERATOR_PASSWORD)
        self.driver.get(f"{WORLD.base}/jobs/{job_id}")
        self.assertEqual(self.driver.find_element(By.ID, "job-state").text, "queued")
        self.driver.find_element(By.ID, "cancel-job").click()
        self.wait.until(EC.alert_is_present())
        self.driver.switch_to.alert.accept()
        self.wait.until(EC.text_to_be_present_in_element((By.ID, "job-state"), "cancelled"))
        self.assertEqual(self.driver.find_element(By.ID, "notice").text, "Cancel requested.")
        self.assertEqual(WORLD.sql(f"select state from berth.jobs where id = {job_id}"), "cancelled")
        self.screenshot("job")

    def test_a_tenant_user_cannot_open_another_tenants_cluster(self):
        own = WORLD.berth("cluster", "create", "mine", "--tenant", WORLD.tenant_a).split()[-1]
        other = WORLD.berth("cluster", "create", "theirs", "--tenant", WORLD.tenant_b).split()[-1]
        self.sign_in("alice", TENANT_PASSWORD)
        self.driver.get(f"{WORLD.base}/clusters/{other}")
        self.assertIn("404", self.driver.title)
        self.assertIn("among the clusters you may see", self.driver.find_element(By.ID, "error-message").text)
        self.assertNotIn("theirs", self.driver.page_source)
        self.driver.get(f"{WORLD.base}/clusters/{own}")
        self.assertIn("Cluster mine", self.driver.find_element(By.TAG_NAME, "h1").text)
        self.driver.get(WORLD.base + "/clusters")
        names = [a.text for a in self.driver.find_elements(By.CSS_SELECTOR, "a.cluster-link")]
        self.assertIn("mine", names)
        self.assertNotIn("theirs", names)
        # No tenants page, and no way round the filter.
        self.driver.get(WORLD.base + "/tenants")
        self.assertIn("403", self.driver.title)
        self.driver.get(f"{WORLD.base}/clusters?tenant={WORLD.tenant_b}")
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "a.cluster-link"), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
