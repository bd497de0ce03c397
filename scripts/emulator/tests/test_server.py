"""The server end to end on 127.0.0.1, in front of a fake moto that records what it receives."""

import datetime
import http.client
import json
import threading
import unittest
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from berth_emulator import sigv4, upstream
from berth_emulator.request import Call
from berth_emulator.server import Server

SECRET = "fake-secret-for-tests"


class FakeMoto(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append((self.command, self.path, dict(self.headers.items()), body))
        status, headers, answer = self.server.answer(self.headers, body)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


def new_key():
    return "AKIA" + uuid.uuid4().hex[:16].upper()


class ServerTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.moto = ThreadingHTTPServer(("127.0.0.1", 0), FakeMoto)
        cls.moto.daemon_threads = True
        cls.proxy = Server(("127.0.0.1", 0))
        for server in (cls.moto, cls.proxy):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        cls.saved_address = list(upstream.ADDRESS)
        upstream.configure(f"http://127.0.0.1:{cls.moto.server_address[1]}")

    @classmethod
    def tearDownClass(cls):
        for server in (cls.proxy, cls.moto):
            server.shutdown()
            server.server_close()
        upstream.ADDRESS[:] = cls.saved_address

    def setUp(self):
        self.moto.received = []
        self.moto.answer = lambda headers, body: (200, {"x-amzn-RequestId": "moto-rid", "Content-Type": "text/xml"}, b"<ok/>")
        self.key = new_key()

    def request(self, method, path, body=b"", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.proxy.server_address[1], timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def control(self, method, path, document=None):
        body = json.dumps(document).encode() if document is not None else b""
        status, _, answer = self.request(method, path, body, {"Content-Type": "application/json"})
        return status, answer

    def signed(self, service, body, headers, key=None, secret=SECRET):
        """A request signed as a client would sign it for the proxy's address."""
        date_time = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        headers = {"Host": f"127.0.0.1:{self.proxy.server_address[1]}", "X-Amz-Date": date_time, **headers}
        names = sorted(k.lower() for k in headers)
        signature = sigv4.signature("POST", "/", sigv4.lower_headers(headers), names, body, secret, date_time,
                                    "us-east-2", service)
        headers["Authorization"] = sigv4.authorization(key or self.key, date_time, "us-east-2", service, names, signature)
        return headers

    def ec2(self, body=b"Action=DescribeVpcs&Version=2016-11-15"):
        return self.request("POST", "/", body, self.signed("ec2", body, {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}))

    def test_control_api(self):
        self.assertEqual(self.control("GET", "/__berth/health"), (200, b'{"status":"ok"}'))
        self.assertEqual(self.control("GET", "/__berth/nope"), (404, b"unknown control path"))
        status, answer = self.control("POST", "/__berth/faults", {"key": self.key, "plan": ["throttle", "explode"]})
        self.assertEqual(status, 400)
        self.assertIn("unknown fault explode", json.loads(answer)["error"])
        status, answer = self.request("POST", "/__berth/accounts", b"{not json")[::2]
        self.assertEqual(status, 400)
        self.assertEqual(self.control("POST", "/__berth/accounts", {"key": self.key})[0], 400)

    def test_forwards_with_the_key_s_account(self):
        self.assertEqual(self.control("POST", "/__berth/accounts", {"key": self.key, "account": "123412341234"})[0], 200)
        status, headers, body = self.ec2()
        self.assertEqual((status, body, headers.get("x-amzn-RequestId")), (200, b"<ok/>", "moto-rid"))
        _, path, sent, sent_body = self.moto.received[-1]
        self.assertEqual((path, sent_body), ("/", b"Action=DescribeVpcs&Version=2016-11-15"))
        self.assertEqual(sent["x-moto-account-id"], "123412341234")
        stats = json.loads(self.control("GET", f"/__berth/stats?key={self.key}")[1])
        self.assertEqual((stats["requests"], stats["forwarded"], stats["actions"]), (1, 1, {"ec2:DescribeVpcs": 1}))

    def test_injected_faults(self):
        self.control("POST", "/__berth/faults", {"key": self.key, "plan": ["throttle", "reset", "ok"]})
        status, _, body = self.ec2()
        self.assertEqual(status, 503)
        self.assertIn(b"<Code>RequestLimitExceeded</Code>", body)
        with self.assertRaises((ConnectionResetError, http.client.RemoteDisconnected)):
            self.ec2()
        self.assertEqual(self.ec2()[0], 200)
        self.assertEqual(len(self.moto.received), 1, "faults are answered without moto")
        stats = json.loads(self.control("GET", f"/__berth/stats?key={self.key}")[1])
        self.assertEqual(stats["faults"], {"throttle": 1, "reset": 1})

    def test_lost_answers_after_the_request_took_effect(self):
        self.control("POST", "/__berth/faults", {"key": self.key, "plan": ["lost", "lost-reset"]})
        # "lost": moto got the request; the caller gets the connection closed without an answer.
        with self.assertRaises(http.client.RemoteDisconnected):
            self.ec2()
        with self.assertRaises((ConnectionResetError, http.client.RemoteDisconnected)):
            self.ec2()
        self.assertEqual(len(self.moto.received), 2, "both took effect")
        stats = json.loads(self.control("GET", f"/__berth/stats?key={self.key}")[1])
        self.assertEqual((stats["forwarded"], stats["faults"]), (2, {"lost": 1, "lost-reset": 1}))

    def test_a_failing_patch_call_is_a_500_naming_it(self):
        self.moto.answer = lambda headers, body: (500, {}, b"<html>boom</html>")
        body = json.dumps({"cluster": "c", "taskDefinition": "td", "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}]}).encode()
        status, headers, answer = self.request("POST", "/", body, self.signed("ecs", body, {
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.RunTask"}))
        self.assertEqual((status, headers["x-amzn-ErrorType"]), (500, "InternalError"))
        self.assertIn("emulator proxy: moto DescribeClusters answered 500", json.loads(answer)["message"])

    def test_a_rewritten_form_is_re_signed_as_the_caller(self):
        # With the key's secret registered, a form body goes to moto as moto re-encodes it (a
        # space as '+', not %20), signed again as the caller, so a moto that checks signatures
        # accepts it.
        self.control("POST", "/__berth/accounts", {"key": self.key, "account": "123412341234", "secret": SECRET})
        body = b"Action=CreateSecurityGroup&GroupDescription=two%20words&GroupName=g&Version=2016-11-15"
        self.assertEqual(self.ec2(body)[0], 200)
        _, path, sent, sent_body = self.moto.received[-1]
        self.assertEqual(sent_body, b"Action=CreateSecurityGroup&GroupDescription=two+words&GroupName=g&Version=2016-11-15")
        self.assertIs(sigv4.signature_valid(Call("POST", path, sent, sent_body), SECRET), True)

    def test_a_wrong_signature_is_not_re_signed(self):
        self.control("POST", "/__berth/accounts", {"key": self.key, "account": "123412341234", "secret": SECRET})
        body = b"Action=CreateSecurityGroup&GroupDescription=two%20words&GroupName=g&Version=2016-11-15"
        headers = self.signed("ec2", body, {"Content-Type": "application/x-www-form-urlencoded"}, secret="not the secret")
        self.request("POST", "/", body, headers)
        sent = self.moto.received[-1][2]
        self.assertEqual(sent["Authorization"], headers["Authorization"])

    def test_the_account_of_a_key_created_through_the_emulator(self):
        created = new_key()
        self.moto.answer = lambda headers, body: (200, {}, (
            "<CreateAccessKeyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateAccessKeyResult>"
            f"<AccessKey><AccessKeyId>{created}</AccessKeyId></AccessKey></CreateAccessKeyResult></CreateAccessKeyResponse>").encode())
        body = b"Action=CreateAccessKey&UserName=u&Version=2010-05-08"
        headers = self.signed("iam", body, {"Content-Type": "application/x-www-form-urlencoded", "x-moto-account-id": "555566667777"})
        self.assertEqual(self.request("POST", "/", body, headers)[0], 200)
        self.moto.answer = lambda headers, body: (200, {}, b"<ok/>")
        self.ec2()  # signed with self.key: the default account
        self.assertEqual(self.moto.received[-1][2]["x-moto-account-id"], "123456789012")
        body = b"Action=GetCallerIdentity&Version=2011-06-15"
        self.request("POST", "/", body, self.signed("sts", body, {"Content-Type": "application/x-www-form-urlencoded"}, key=created))
        self.assertEqual(self.moto.received[-1][2]["x-moto-account-id"], "555566667777")


if __name__ == "__main__":
    unittest.main()
