#!/usr/bin/env python3
"""Generate tests/data/signing_vectors_sm3.json from the official SDK's SM3 signer.

The SDK-HMAC-SM3 sibling of gen_signing_vectors.py: the same requests, signed by
`huaweicloudsdkcore.signer.signer.SM3Signer` (SM3 for every hash and the HMAC,
`X-Sdk-Content-Sm3` as the content header, the SM3 hash of "" for empty bodies).
src/mrs/signer.rs and the emulator's verifier are checked against the file.

    python3 -m venv /tmp/hwsdk && /tmp/hwsdk/bin/pip install huaweicloudsdkcore
    /tmp/hwsdk/bin/python tests/data/gen_sm3_signing_vectors.py
"""

import copy
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.signer.signer import SM3Signer  # noqa: E402

import gen_signing_vectors as base  # noqa: E402

# The SHA-256 cases, plus one whose non-JSON body brings in X-Sdk-Content-Sm3.
CASES = base.CASES + [
    base.case(
        "sm3_octet_stream_body_is_unsigned_payload",
        "POST",
        base.MRS,
        base.job_path(),
        headers=base.mrs_headers(**{"Content-Type": "application/octet-stream"}),
        body="raw bytes",
    ),
]


def vector(c):
    signer = SM3Signer(BasicCredentials(ak=c["ak"], sk=c["sk"]))
    staged = base.sdk_request(c)
    if isinstance(staged.body, str):
        staged.body = staged.body.encode("utf-8")
    SM3Signer._process_content_header(staged)
    when = SM3Signer._process_header_time(staged)
    SM3Signer._process_header_host(staged)
    signed = SM3Signer._process_signed_headers(staged)
    canonical = signer._process_canonical_request(staged, signed)
    to_sign = signer._process_string_to_sign(canonical, when)

    whole = signer.sign(base.sdk_request(c))
    authorization = whole.header_params["Authorization"]
    expected = signer._process_auth_header_value(
        signer._sign_string_to_sign(to_sign, c["sk"]), c["ak"], signed
    )
    if authorization != expected:
        sys.exit("staged signing disagrees with SM3Signer.sign for %s" % c["name"])

    url = c["base"] + c["path"]
    if c["query"]:
        url += "?" + base.query_string(c["query"])
    return {
        "name": c["name"],
        "method": c["method"],
        "url": url,
        "headers": copy.deepcopy(c["headers"]),
        "body": c["body"],
        "sdk_date": base.SDK_DATE,
        "ak": c["ak"],
        "sk": c["sk"],
        "canonical_request": canonical,
        "string_to_sign": to_sign,
        "signed_headers": ";".join(signed),
        "authorization": authorization,
    }


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "signing_vectors_sm3.json")
    vectors = [vector(c) for c in CASES]
    names = [v["name"] for v in vectors]
    if len(set(names)) != len(names):
        sys.exit("duplicate case names")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(vectors, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print("wrote %d vectors to %s" % (len(vectors), out))


if __name__ == "__main__":
    main()
