"""A stand-in for 腾讯云短信 (sms 2021-01-11, SendSms) that checks requests as Tencent Cloud's API documentation
describes them ("签名方法 v3", TC3-HMAC-SHA256):

    CanonicalRequest = method \\n "/" \\n CanonicalQueryString ("" for POST) \\n CanonicalHeaders \\n
                       SignedHeaders \\n hex(SHA-256(body))
    - CanonicalHeaders: at least content-type and host; "key:value\\n" with key and value lower-case and trimmed,
      sorted by key; SignedHeaders the same keys joined by ";";
    StringToSign = "TC3-HMAC-SHA256" \\n X-TC-Timestamp \\n CredentialScope \\n hex(SHA-256(CanonicalRequest)),
      CredentialScope = <UTC date of the timestamp, YYYY-MM-DD>/sms/tc3_request
    SecretDate = HMAC-SHA256("TC3" + SecretKey, Date); SecretService = HMAC-SHA256(SecretDate, "sms");
    SecretSigning = HMAC-SHA256(SecretService, "tc3_request"); Signature = hex(HMAC-SHA256(SecretSigning,
      StringToSign))
    Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<CredentialScope>, SignedHeaders=<…>, Signature=<hex>

X-TC-Action, X-TC-Version, X-TC-Region (SMS serves ap-guangzhou, ap-beijing, ap-nanjing) and X-TC-Timestamp
(within five minutes of the server's clock) are checked too. Answers are always HTTP 200 JSON with a ``Response``:
``{"SendStatusSet": [{"SerialNo", "PhoneNumber", "Fee", "SessionContext", "Code", "Message", "IsoCode"}],
"RequestId"}``, or ``{"Error": {"Code", "Message"}, "RequestId"}`` when the request itself is refused.
"""
import hashlib
import hmac
import json
import re
import time
import uuid
from datetime import UTC, datetime

from tests.reach.providers import CheckingServer, Seen

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "sms"
SMS_REGIONS = ("ap-guangzhou", "ap-beijing", "ap-nanjing")
TIMESTAMP_TOLERANCE = 300
E164_MAINLAND = re.compile(r"^\+861[3-9]\d{9}$")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def expected_signature(seen: Seen, signed_headers: list[str], secret_key: str, timestamp: str, date: str,
                       service: str = SERVICE) -> str:
    canonical_headers = "".join(f"{name}:{seen.header(name).strip().lower()}\n" for name in signed_headers)
    canonical_request = "\n".join([
        seen.method, "/", seen.raw_query if seen.method == "GET" else "", canonical_headers,
        ";".join(signed_headers), hashlib.sha256(seen.body).hexdigest(),
    ])
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join([ALGORITHM, timestamp, scope,
                                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    signing_key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode("utf-8"), date), service), "tc3_request")
    return hmac.new(signing_key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


class TencentServer(CheckingServer):
    """``templates`` maps each approved TemplateId to how many values it takes. ``error = (code, message)`` refuses
    every well-formed, well-signed request as a whole; ``status = (code, message)`` answers it with that per-number
    send status instead of "Ok"."""

    def __init__(self, secret_id="AKID-test", secret_key="test-secret-tencent", app_id="1400000001",
                 sign_name="民呼我应", templates=None):
        super().__init__()
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.app_id = app_id
        self.sign_name = sign_name
        self.templates = templates if templates is not None else {"100001": 3, "100002": 1}
        self.error: tuple[str, str] | None = None
        self.status: tuple[str, str] | None = None

    def answer(self, seen):
        refusal = self._check_gateway(seen) or self._check_send_sms(seen)
        if refusal:
            return refusal
        if self.error:
            return self._response({"Error": {"Code": self.error[0], "Message": self.error[1]}})
        code, message = self.status or ("Ok", "send success")
        statuses = []
        for number in seen.params["PhoneNumberSet"]:
            if not E164_MAINLAND.match(number):
                self.problem(f"InvalidParameterValue.IncorrectPhoneNumber for {number!r}")
                number_code, number_message = "InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"
            else:
                number_code, number_message = code, message
            statuses.append({
                "SerialNo": f"2640:{uuid.uuid4().int % 10 ** 18}" if number_code == "Ok" else "",
                "PhoneNumber": number, "Fee": 1 if number_code == "Ok" else 0,
                "SessionContext": seen.params.get("SessionContext", ""), "Code": number_code,
                "Message": number_message, "IsoCode": "CN",
            })
        return self._response({"SendStatusSet": statuses})

    def _refuse(self, code, message):
        self.problem(f"{code}: {message}")
        return self._response({"Error": {"Code": code, "Message": message}})

    @staticmethod
    def _response(payload):
        body = {"Response": {**payload, "RequestId": str(uuid.uuid4())}}
        return 200, "application/json", json.dumps(body, ensure_ascii=False).encode("utf-8")

    def _check_gateway(self, seen):
        if seen.method != "POST" or seen.path != "/":
            return self._refuse("InvalidParameter", f"{seen.method} {seen.path}: SendSms is a POST to /")
        if seen.header("host") != self.endpoint:
            return self._refuse("InvalidParameter", f"the request was addressed to {seen.header('host')!r}")
        if seen.header("content-type") != "application/json":
            return self._refuse("InvalidParameter", "a POST with a JSON body must say Content-Type: application/json")
        if seen.header("x-tc-action") != "SendSms":
            return self._refuse("InvalidAction", "X-TC-Action must be SendSms")
        if seen.header("x-tc-version") != "2021-01-11":
            return self._refuse("NoSuchVersion", "X-TC-Version must be 2021-01-11")
        if seen.header("x-tc-region") not in SMS_REGIONS:
            return self._refuse("UnsupportedRegion", f"SMS is not served in {seen.header('x-tc-region')!r}")
        timestamp = seen.header("x-tc-timestamp")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TIMESTAMP_TOLERANCE:
            return self._refuse("AuthFailure.SignatureExpire", "X-TC-Timestamp is missing or not within 5 minutes")
        match = re.fullmatch(rf"{ALGORITHM} Credential=([^/]+)/(\d{{4}}-\d{{2}}-\d{{2}})/([^/]+)/tc3_request, "
                             r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})", seen.header("authorization"))
        if not match:
            return self._refuse("AuthFailure.InvalidAuthorization", "Authorization is not a TC3-HMAC-SHA256 header")
        secret_id, date, service, signed, signature = match.groups()
        if secret_id != self.secret_id:
            return self._refuse("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        if service != SERVICE or date != datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d"):
            return self._refuse("AuthFailure.SignatureFailure", "the credential scope is not <date>/sms/tc3_request")
        signed_headers = signed.split(";")
        if signed_headers != sorted(signed_headers) or not {"content-type", "host"} <= set(signed_headers):
            return self._refuse("AuthFailure.SignatureFailure", "SignedHeaders must hold content-type and host, sorted")
        expected = expected_signature(seen, signed_headers, self.secret_key, timestamp, date)
        if not hmac.compare_digest(expected, signature):
            return self._refuse("AuthFailure.SignatureFailure",
                                "The provided credentials could not be validated. Please check your signature.")
        seen.signature_valid = True
        return None

    def _check_send_sms(self, seen):
        try:
            seen.params = json.loads(seen.body.decode("utf-8"))
        except ValueError:
            return self._refuse("FailedOperation.JsonParseFail", "the body is not JSON")
        params = seen.params
        for name in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId"):
            if not params.get(name):
                return self._refuse("MissingParameter", f"The request is missing a required parameter `{name}`.")
        numbers = params["PhoneNumberSet"]
        if not isinstance(numbers, list) or not all(isinstance(number, str) for number in numbers):
            return self._refuse("InvalidParameter", "PhoneNumberSet must be a list of strings")
        if params["SmsSdkAppId"] != self.app_id:
            return self._refuse("InvalidParameterValue.SdkAppIdNotExist", "SmsSdkAppId does not exist")
        if params.get("SignName") != self.sign_name:
            return self._refuse("FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误")
        if params["TemplateId"] not in self.templates:
            return self._refuse("FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配")
        values = params.get("TemplateParamSet", [])
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            return self._refuse("InvalidParameterValue.TemplateParameterFormatError", "模板参数须为字符串")
        if len(values) != self.templates[params["TemplateId"]]:
            return self._refuse("FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                                "模板参数个数与模板不符")
        return None
