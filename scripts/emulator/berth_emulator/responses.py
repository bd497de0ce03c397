"""Answers the emulator gives instead of moto's, and AWS errors in each protocol's shape."""

import json
import uuid
from typing import NamedTuple


class Response(NamedTuple):
    """One answer: what moto said, or what the emulator says instead. `reset` means no answer
    at all: the connection is closed with a TCP RST (an injected fault, or an answer lost on
    the way back)."""

    status: int
    headers: dict
    body: bytes
    reset: bool = False
    closed: bool = False

    @classmethod
    def connection_reset(cls):
        return cls(0, {}, b"", reset=True)

    @classmethod
    def connection_closed(cls):
        """No answer: the connection is closed in order (a FIN), as a proxy that drops it does."""
        return cls(0, {}, b"", closed=True)


def aws_error(call, status, code, message):
    """An error in the shape the service's protocol uses: JSON 1.1 `__type`, EC2's
    `<Response><Errors>`, or the Query services' `<ErrorResponse>`."""
    rid = str(uuid.uuid4())
    if call.json:
        body = json.dumps({"__type": code, "message": message}).encode()
        return Response(status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": rid,
                                 "x-amzn-ErrorType": code}, body)
    if call.service == "ec2":
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>"
                f"<Message>{xml_escape(message)}</Message></Error></Errors><RequestID>{rid}</RequestID></Response>")
    else:
        kind = "Receiver" if status >= 500 else "Sender"
        body = (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{xml_escape(message)}"
                f"</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>")
    return Response(status, {"Content-Type": "text/xml", "x-amzn-RequestId": rid}, body.encode())


def xml_escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def json_answer(status, document):
    """A control API answer."""
    return Response(status, {"Content-Type": "application/json"}, json.dumps(document).encode())
