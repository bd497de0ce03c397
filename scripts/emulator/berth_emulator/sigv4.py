"""SigV4 (AWS4-HMAC-SHA256) as the emulator needs it: checking a caller's signature, and
signing again a request the emulator rewrote, so that a moto that checks signatures sees the
caller's own request.

Covers what reaches the emulator (`POST /` with an optional query, headers already named by
the caller's SignedHeaders), not the whole canonical-request specification: no path
normalisation or re-encoding, no repeated headers. tests/test_sigv4.py checks it against AWS's
suite cases of that shape and against botocore's signer."""

import hashlib
import hmac
import re
import urllib.parse

SIGNATURE = re.compile(r"Signature=([0-9a-f]+)")
SIGNED_HEADERS = re.compile(r"SignedHeaders=([^,\s]+)")


def signature(method, path, headers, signed_names, body, secret, date_time, region, service):
    """The SigV4 signature of a request; `headers` maps lower-case names to values."""
    # Split by hand: urlparse reads a path starting with // as a host.
    path, _, raw_query = path.partition("?")
    query = sorted((urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
                   for k, v in urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
    canonical_headers = "".join(f"{name}:{' '.join(str(headers.get(name, '')).split())}\n" for name in signed_names)
    canonical = "\n".join([method, path or "/", "&".join(f"{k}={v}" for k, v in query), canonical_headers,
                           ";".join(signed_names), hashlib.sha256(body).hexdigest()])
    scope = f"{date_time[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", date_time, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (date_time[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def lower_headers(headers):
    return {k.lower(): v for k, v in headers.items()}


def signed_names_of(authorization):
    m = SIGNED_HEADERS.search(authorization or "")
    return m.group(1).split(";") if m else []


def signature_valid(call, secret):
    """Whether the caller's signature is right; None when it cannot tell (no secret, or no
    SignedHeaders or X-Amz-Date to check)."""
    auth = call.headers.get("Authorization", "")
    names = signed_names_of(auth)
    date_time = call.headers.get("X-Amz-Date", "")
    if not secret or not names or not date_time:
        return None
    m = SIGNATURE.search(auth)
    expected = signature(call.method, call.path, lower_headers(call.headers), names, call.body, secret, date_time,
                         call.region, call.service)
    return bool(m) and hmac.compare_digest(m.group(1), expected)


def resigned_headers(call, headers, new_body, secret):
    """Headers for forwarding `new_body` (a rewrite of the caller's request): signed again as
    the caller when `secret` is the caller's and its original signature is right; otherwise
    unchanged (moto without auth ignores signatures, moto with auth then refuses the request,
    as it would have refused the original)."""
    if signature_valid(call, secret) is not True:
        return headers
    auth = call.headers.get("Authorization", "")
    new_signature = signature(call.method, call.path, lower_headers(call.headers), signed_names_of(auth), new_body,
                              secret, call.headers.get("X-Amz-Date", ""), call.region, call.service)
    result = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    result["Authorization"] = SIGNATURE.sub(f"Signature={new_signature}", auth)
    return result


def authorization(access_key, date_time, region, service, signed_names, signature_hex):
    """An Authorization header value."""
    return (f"AWS4-HMAC-SHA256 Credential={access_key}/{date_time[:8]}/{region}/{service}/aws4_request, "
            f"SignedHeaders={';'.join(signed_names)}, Signature={signature_hex}")


def moto_form_encoding(body):
    """A form body as moto re-encodes it when it checks the signature (it signs the parsed form
    again, urlencoded: spaces as '+'). Same parameters; a request that escapes a space as %20,
    which AWS accepts (and Berth sends), would otherwise fail moto's check."""
    pairs = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    return urllib.parse.urlencode(pairs).encode()
