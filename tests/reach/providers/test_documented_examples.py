"""The checking servers' signers reproduce the providers' own worked examples, so a request they accept is one the
provider would accept — not merely one that agrees with the SDK under test."""
from tests.reach.providers import aliyun, tencent


class _Request:
    def __init__(self, method, path, raw_query, headers, body):
        self.method, self.path, self.raw_query, self.body = method, path, raw_query, body
        self.headers = headers

    def header(self, name, default=""):
        return self.headers.get(name, default)


def test_the_aliyun_signer_reproduces_the_v3_documentations_example():
    # "V3版本请求体&签名机制" (help.aliyun.com, the ROA/RPC request-body and signature page): RunInstances with
    # AccessKeySecret "YourAccessKeySecret", an empty body and these headers.
    headers = {
        "host": "ecs.cn-shanghai.aliyuncs.com",
        "x-acs-action": "RunInstances",
        "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-acs-date": "2023-10-26T09:01:01Z",
        "x-acs-signature-nonce": "d410180a5abf7fe235dd9b74aca91fc0",
        "x-acs-version": "2014-05-26",
    }
    request = _Request("POST", "/", "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai",
                       headers, b"")

    signature = aliyun.expected_signature(request, sorted(headers), "YourAccessKeySecret")

    assert signature == "e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"


def test_the_aliyun_canonical_query_encodes_as_rfc_3986_whatever_the_client_sent():
    # A form-encoded "+" is a space and becomes %20; "~" stays; "*" and Chinese are percent-encoded.
    assert aliyun.canonical_query("b=%E5%8D%97+%E8%8B%91&a=x%7Ey*") == "a=x~y%2A&b=%E5%8D%97%20%E8%8B%91"


def test_the_tencent_signer_reproduces_the_tc3_documentations_example():
    # "签名方法 v3" (Tencent Cloud API 3.0): DescribeInstances on cvm at timestamp 1551113065 with SecretKey
    # "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"; documented signature 72e494ea….
    body = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    headers = {"content-type": "application/json; charset=utf-8", "host": "cvm.tencentcloudapi.com"}
    request = _Request("POST", "/", "", headers, body)

    signature = tencent.expected_signature(request, ["content-type", "host"], "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
                                           "1551113065", "2019-02-25", service="cvm")

    assert signature == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
