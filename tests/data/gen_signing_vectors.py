#!/usr/bin/env python3
"""Generate the signing vectors from the official Huawei Cloud SDK signers:
tests/data/signing_vectors.json (SDK-HMAC-SHA256) and
tests/data/signing_vectors_sm3.json (SDK-HMAC-SM3).

The Rust signer in src/mrs/signer.rs and the emulator's verifier must agree byte
for byte with `huaweicloudsdkcore.signer.signer.Signer` and `SM3Signer` (SM3 for
every hash and the HMAC, `X-Sdk-Content-Sm3` as the content header, the SM3 hash
of "" for empty bodies). This script drives them at a fixed X-Sdk-Date over
requests chosen to hit the awkward corners (encoded path segments, unicode,
repeated and empty query parameters, bodies, temporary credentials) and records
every intermediate the Rust tests compare against. Both algorithms sign the same
requests; SM3 has one more, whose non-JSON body brings in X-Sdk-Content-Sm3.

The SDK is only needed to regenerate the files, never to build or test:

    python3 -m venv /tmp/hwsdk && /tmp/hwsdk/bin/pip install huaweicloudsdkcore
    /tmp/hwsdk/bin/python tests/data/gen_signing_vectors.py [sha256|sm3 ...]

With no argument, both files are written.

Each record's "url" is what the Rust client would put on the wire: path segments
and query parameters percent-encoded with only A-Za-z0-9-_.~ left bare, query
parameters in the order given (the signer sorts them, not the URL). "headers"
are the headers handed to the signer before it adds X-Sdk-Date and Host.
"""

import copy
import json
import os
import sys
from urllib.parse import quote

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import SM3Signer, Signer

SDK_DATE = "20260101T000000Z"
AK = "HPUAEXAMPLEACCESSKEY"
SK = "ExampleSecretKey0123456789abcdefghijklmn"
PROJECT = "0123456789abcdef0123456789abcdef"
CLUSTER = "a1b2c3d4-0000-4111-8222-333344445555"
JOB = "f00dcafe-1234-4abc-8def-0123456789ab"
MRS = "https://mrs.cn-north-4.myhuaweicloud.com"
IAM = "https://iam.cn-north-4.myhuaweicloud.com"
JSON_TYPE = "application/json;charset=UTF-8"
UA = "terraform-provider-mrs/0.1.0 terraform/1.11.4"


def seg(value):
    """Percent-encode one path segment the way the SDK fills path parameters."""
    return quote(value, safe="")


def job_path(*tail):
    return "/v2/%s/clusters/%s/job-executions%s" % (
        seg(PROJECT),
        seg(CLUSTER),
        "".join("/" + seg(t) for t in tail),
    )


def case(name, method, base, path, query=(), headers=None, body="", ak=AK, sk=SK):
    return {
        "name": name,
        "method": method,
        "base": base,
        "path": path,
        "query": list(query),
        "headers": dict(headers or {}),
        "body": body,
        "ak": ak,
        "sk": sk,
    }


def mrs_headers(**extra):
    headers = {"User-Agent": UA, "X-Project-Id": PROJECT}
    headers.update(extra)
    return headers


CASES = [
    case("kill_job_post_without_body", "POST", MRS, job_path(JOB, "kill"), headers=mrs_headers()),
    case("show_job_get", "GET", MRS, job_path(JOB), headers=mrs_headers()),
    case("list_jobs_get", "GET", MRS, job_path(), headers=mrs_headers()),
    case(
        "submit_job_json_body",
        "POST",
        MRS,
        job_path(),
        headers=mrs_headers(**{"Content-Type": JSON_TYPE}),
        body=json.dumps(
            {
                "job_name": "wordcount",
                "job_type": "MapReduce",
                "arguments": ["obs://bucket/program.jar", "obs://bucket/input", "obs://bucket/output"],
                "properties": {"fs.obs.endpoint": "obs.cn-north-4.myhuaweicloud.com"},
            },
            separators=(",", ":"),
        ),
    ),
    case(
        "kill_job_with_security_token",
        "POST",
        MRS,
        job_path(JOB, "kill"),
        headers=mrs_headers(**{"X-Security-Token": "gQpjbi1ub3J0aC00" + "x" * 200 + "=="}),
    ),
    case(
        "iam_project_lookup_without_project_header",
        "GET",
        IAM,
        "/v3/projects",
        query=[("name", "cn-north-4")],
        headers={"User-Agent": UA},
    ),
    case("path_with_trailing_slash", "GET", MRS, job_path() + "/", headers=mrs_headers()),
    case("path_root_only", "GET", MRS, "/", headers={"User-Agent": UA}),
    case("path_segment_with_space_and_reserved", "GET", MRS, job_path("a b!*'();:@&=+$,"), headers=mrs_headers()),
    case("path_segment_with_encoded_slash", "POST", MRS, job_path("a/b", "kill"), headers=mrs_headers()),
    case("path_segment_with_dotdot_inside", "GET", MRS, job_path("../x"), headers=mrs_headers()),
    case("path_segment_unicode", "GET", MRS, job_path("作业-ジョブ-é"), headers=mrs_headers()),
    case("path_segment_with_percent", "GET", MRS, job_path("100%done"), headers=mrs_headers()),
    case("path_segment_with_tilde_and_unreserved", "GET", MRS, job_path("Az09-_.~"), headers=mrs_headers()),
    case(
        "query_repeated_keys_sorted_by_value",
        "GET",
        MRS,
        job_path(),
        query=[("state", "RUNNING"), ("limit", "10"), ("state", "ACCEPTED"), ("state", "NEW")],
        headers=mrs_headers(),
    ),
    case(
        "query_empty_values",
        "GET",
        MRS,
        job_path(),
        query=[("b", ""), ("a", ""), ("c", "1")],
        headers=mrs_headers(),
    ),
    case(
        "query_keys_needing_encoding",
        "GET",
        MRS,
        job_path(),
        query=[("key with space", "v"), ("k&=+", "v2"), ("ключ", "значение"), ("~tilde", "x")],
        headers=mrs_headers(),
    ),
    case(
        "query_values_with_reserved_and_unicode",
        "GET",
        MRS,
        job_path(),
        query=[("job_name", "wörd count/1?&=+#"), ("user", "张三"), ("sort", "-submitted_time")],
        headers=mrs_headers(),
    ),
    case(
        "query_sort_uses_raw_not_encoded_order",
        "GET",
        MRS,
        job_path(),
        query=[("a~", "1"), ("a-", "2"), ("a!", "3"), ("B", "4"), ("a", "5"), ("é", "6")],
        headers=mrs_headers(),
    ),
    case(
        "body_unicode_json",
        "POST",
        MRS,
        job_path(),
        headers=mrs_headers(**{"Content-Type": JSON_TYPE}),
        body=json.dumps({"job_name": "作业 ✓", "arguments": ["ü", "\u00e9"]}, ensure_ascii=False),
    ),
    case(
        "body_json_with_newlines",
        "POST",
        MRS,
        job_path(),
        headers=mrs_headers(**{"Content-Type": "application/json"}),
        body='{\n  "job_name": "x",\n  "job_type": "SparkSubmit"\n}\n',
    ),
    case(
        "body_non_json_content_type_is_unsigned_payload",
        "POST",
        MRS,
        job_path(),
        headers=mrs_headers(**{"Content-Type": "text/plain"}),
        body="plain text body",
    ),
    case(
        "header_values_trimmed_and_names_lowercased",
        "GET",
        MRS,
        job_path(JOB),
        headers={"user-agent": "  " + UA + "  ", "X-PROJECT-ID": "\t" + PROJECT + " ", "X-Custom": "a  b"},
    ),
    case(
        "header_with_underscore_not_signed",
        "GET",
        MRS,
        job_path(JOB),
        headers=mrs_headers(**{"X_Custom_Header": "ignored"}),
    ),
    case("explicit_port_in_host", "POST", "http://127.0.0.1:18080", job_path(JOB, "kill"), headers=mrs_headers()),
    case("delete_method", "DELETE", MRS, job_path(JOB), headers=mrs_headers()),
    case(
        "other_access_and_secret_key",
        "GET",
        MRS,
        job_path(JOB),
        headers=mrs_headers(),
        ak="AK-0000",
        sk="sk with spaces & ünïcode",
    ),
    case(
        "everything_together",
        "POST",
        "https://mrs.ap-southeast-1.myhuaweicloud.com:8443",
        job_path("id/with/slashes", "kill"),
        query=[("z", "last"), ("a", "first"), ("a", "")],
        headers=mrs_headers(**{"Content-Type": JSON_TYPE, "X-Security-Token": "token+/="}),
        body='{"reason":"cleanup ✂"}',
    ),
]


def query_string(pairs):
    return "&".join("%s=%s" % (quote(k, safe=""), quote(v, safe="")) for k, v in pairs)


def sdk_request(c):
    scheme, host = c["base"].split("://", 1)
    headers = dict(c["headers"])
    headers["X-Sdk-Date"] = SDK_DATE
    return SdkRequest(
        method=c["method"],
        schema=scheme,
        host=host,
        resource_path=c["path"],
        query_params=list(c["query"]),
        header_params=headers,
        body=c["body"],
    )


def vector(c, signer_class):
    signer = signer_class(BasicCredentials(ak=c["ak"], sk=c["sk"]))

    # Step through the signer's own stages to record the intermediates.
    staged = sdk_request(c)
    if isinstance(staged.body, str):
        staged.body = staged.body.encode("utf-8")
    signer_class._process_content_header(staged)
    when = signer_class._process_header_time(staged)
    signer_class._process_header_host(staged)
    signed = signer_class._process_signed_headers(staged)
    canonical = signer._process_canonical_request(staged, signed)
    to_sign = signer._process_string_to_sign(canonical, when)

    # And let the public entry point produce the header we must reproduce.
    whole = signer.sign(sdk_request(c))
    authorization = whole.header_params["Authorization"]
    expected = signer._process_auth_header_value(
        signer._sign_string_to_sign(to_sign, c["sk"]), c["ak"], signed
    )
    if authorization != expected:
        sys.exit("staged signing disagrees with %s.sign for %s" % (signer_class.__name__, c["name"]))

    url = c["base"] + c["path"]
    if c["query"]:
        url += "?" + query_string(c["query"])
    return {
        "name": c["name"],
        "method": c["method"],
        "url": url,
        "headers": copy.deepcopy(c["headers"]),
        "body": c["body"],
        "sdk_date": SDK_DATE,
        "ak": c["ak"],
        "sk": c["sk"],
        "canonical_request": canonical,
        "string_to_sign": to_sign,
        "signed_headers": ";".join(signed),
        "authorization": authorization,
    }


# Per algorithm: the SDK's signer class, the file written, and the requests signed.
ALGORITHMS = {
    "sha256": (Signer, "signing_vectors.json", CASES),
    "sm3": (
        SM3Signer,
        "signing_vectors_sm3.json",
        CASES
        + [
            case(
                "sm3_octet_stream_body_is_unsigned_payload",
                "POST",
                MRS,
                job_path(),
                headers=mrs_headers(**{"Content-Type": "application/octet-stream"}),
                body="raw bytes",
            ),
        ],
    ),
}


def write(algorithm):
    signer_class, file_name, cases = ALGORITHMS[algorithm]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), file_name)
    vectors = [vector(c, signer_class) for c in cases]
    names = [v["name"] for v in vectors]
    if len(set(names)) != len(names):
        sys.exit("duplicate case names")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(vectors, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print("wrote %d vectors to %s" % (len(vectors), out))


def main(argv):
    chosen = argv or list(ALGORITHMS)
    unknown = [a for a in chosen if a not in ALGORITHMS]
    if unknown:
        sys.exit("unknown algorithm %s; choose from %s" % (", ".join(unknown), ", ".join(ALGORITHMS)))
    for algorithm in chosen:
        write(algorithm)


if __name__ == "__main__":
    main(sys.argv[1:])
