"""A stand-in for 阿里云短信 (dysmsapi 2017-05-25, SendSms) that checks requests as Alibaba Cloud documents them.

The 4.6.0 SDK signs with the V3 scheme (``ACS3-HMAC-SHA256``; "V3版本请求体&签名机制" in the Alibaba Cloud SDK
documentation), so this server recomputes that signature:

    CanonicalRequest = method \\n CanonicalURI \\n CanonicalQueryString \\n CanonicalHeaders \\n SignedHeaders \\n
                       HashedRequestPayload
    - CanonicalQueryString: every query parameter, sorted by name, name and value percent-encoded per RFC 3986
      (space %20, "~" kept), "name=value" joined by "&";
    - CanonicalHeaders: the signed headers, names lower-case and sorted, values trimmed, "name:value\\n" each;
      host, content-type (when present) and every x-acs-* header must be signed;
    - HashedRequestPayload: hex SHA-256 of the body, also sent as x-acs-content-sha256;
    StringToSign = "ACS3-HMAC-SHA256\\n" + hex(SHA-256(CanonicalRequest))
    Signature    = hex(HMAC-SHA256(AccessKeySecret, StringToSign))
    Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<a;b;…>,Signature=<hex>

The action and version travel as x-acs-action / x-acs-version, x-acs-date is ISO 8601 UTC and must be recent,
and x-acs-signature-nonce must not repeat. SendSms's business parameters ride in the query (RPC style).
Answers: HTTP 200 with ``{"Code": "OK", "Message", "BizId", "RequestId"}``, HTTP 200 with an ``isv.*`` code for
business refusals (a bad number, template, signature name), 4xx/5xx with ``{"Code", "Message", "RequestId"}`` for
gateway refusals (signature, unknown key, throttling, server errors).
"""
import hashlib
import hmac
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote

from tests.reach.providers import CheckingServer, Seen

ALGORITHM = "ACS3-HMAC-SHA256"
DATE_TOLERANCE = timedelta(minutes=15)
REQUIRED = ("PhoneNumbers", "SignName", "TemplateCode")
MAINLAND_MOBILE = re.compile(r"^(\+86|0086)?1[3-9]\d{9}$")


def _encode(text: str) -> str:
    return quote(text, safe="~", encoding="utf-8")


def canonical_query(raw_query: str) -> str:
    """Decode what arrived (form encoding: "+" is a space) and re-encode it the documented way."""
    pairs = parse_qsl(raw_query, keep_blank_values=True, strict_parsing=False)
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in sorted(pairs))


def expected_signature(seen: Seen, signed_headers: list[str], secret: str) -> str:
    canonical_headers = "".join(f"{name}:{seen.header(name).strip()}\n" for name in signed_headers)
    canonical_request = "\n".join([
        seen.method, seen.path or "/", canonical_query(seen.raw_query), canonical_headers,
        ";".join(signed_headers), hashlib.sha256(seen.body).hexdigest(),
    ])
    string_to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()}"
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


class AliyunServer(CheckingServer):
    """``reply = (http_status, code, message)`` makes every well-formed, well-signed request get that answer."""

    def __init__(self, access_key_id="LTAI-test-key", access_key_secret="test-secret-aliyun"):
        super().__init__()
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.reply: tuple[int, str, str] | None = None
        self._nonces: set[str] = set()

    def answer(self, seen):
        refusal = self._check_gateway(seen)
        if refusal:
            return refusal
        refusal = self._check_send_sms(seen)
        if refusal:
            return refusal
        if self.reply:
            status, code, message = self.reply
            return self._json(status, {"Code": code, "Message": message})
        return self._json(200, {"Code": "OK", "Message": "OK", "BizId": f"{len(self.requests):06d}^0"})

    def _refuse(self, status, code, message):
        self.problem(f"{code}: {message}")
        return self._json(status, {"Code": code, "Message": message, "HostId": "dysmsapi.aliyuncs.com"})

    @staticmethod
    def _json(status, payload):
        payload = {**payload, "RequestId": str(uuid.uuid4()).upper()}
        return status, "application/json;charset=utf-8", json.dumps(payload, ensure_ascii=False).encode("utf-8")

    def _check_gateway(self, seen):
        """The common V3 checks, in the order a gateway would refuse: shape, key, freshness, signature."""
        if seen.method != "POST" or seen.path != "/":
            return self._refuse(404, "InvalidAction.NotFound", f"{seen.method} {seen.path} is not SendSms")
        if seen.header("host") != self.endpoint:
            return self._refuse(400, "InvalidHost", f"the request was addressed to {seen.header('host')!r}")
        if seen.header("x-acs-action") != "SendSms":
            return self._refuse(400, "InvalidAction.NotFound", "x-acs-action must be SendSms")
        if seen.header("x-acs-version") != "2017-05-25":
            return self._refuse(400, "InvalidVersion", "x-acs-version must be 2017-05-25")
        try:
            sent_at = datetime.strptime(seen.header("x-acs-date"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return self._refuse(400, "InvalidTimeStamp.Format", "x-acs-date is not ISO 8601 UTC")
        if abs(datetime.now(UTC) - sent_at) > DATE_TOLERANCE:
            return self._refuse(400, "InvalidTimeStamp.Expired", "x-acs-date is too far from now")
        nonce = seen.header("x-acs-signature-nonce")
        if not nonce or nonce in self._nonces:
            return self._refuse(400, "SignatureNonceUsed", "x-acs-signature-nonce is missing or was used")
        self._nonces.add(nonce)
        if seen.header("x-acs-content-sha256") != hashlib.sha256(seen.body).hexdigest():
            return self._refuse(400, "InvalidParameter.ContentSHA256", "x-acs-content-sha256 is not the body's")

        match = re.fullmatch(rf"{ALGORITHM} Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{{64}})",
                             seen.header("authorization"))
        if not match:
            return self._refuse(400, "IncompleteSignature", "Authorization is not an ACS3-HMAC-SHA256 header")
        key_id, signed, signature = match.groups()
        if key_id != self.access_key_id:
            return self._refuse(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        signed_headers = signed.split(";")
        must_sign = {"host"} | {name for name in seen.headers if name.startswith("x-acs-")}
        if "content-type" in seen.headers:
            must_sign.add("content-type")
        if signed_headers != sorted(signed_headers) or not must_sign <= set(signed_headers):
            return self._refuse(400, "IncompleteSignature", "SignedHeaders must list host, content-type and "
                                                            "every x-acs-* header, sorted")
        expected = expected_signature(seen, signed_headers, self.access_key_secret)
        if not hmac.compare_digest(expected, signature):
            return self._refuse(400, "SignatureDoesNotMatch",
                                "Specified signature is not matched with our calculation.")
        seen.signature_valid = True
        return None

    def _check_send_sms(self, seen):
        """SendSms's own parameters; a refused number or template is a 200 with an isv.* code, as the API answers."""
        seen.params = dict(parse_qsl(seen.raw_query, keep_blank_values=True))
        for name in REQUIRED:
            if not seen.params.get(name):
                return self._refuse(400, f"Missing{name}", f"{name} is mandatory for this action.")
        template_param = seen.params.get("TemplateParam")
        if template_param is not None:
            try:
                values = json.loads(template_param)
            except ValueError:
                values = None
            if not isinstance(values, dict) or not all(isinstance(value, str) for value in values.values()):
                return self._refuse(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if not all(MAINLAND_MOBILE.match(number) for number in seen.params["PhoneNumbers"].split(",")):
            return self._refuse(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        return None
