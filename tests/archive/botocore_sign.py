#!/usr/bin/python3
"""Signs requests with botocore's S3 SigV4 signer, independently of avpost's.

stdin: a JSON array of requests, each {method, url, headers: {name: value}, body_file (optional),
access_key, secret_key, token (optional), region, amz_date ("YYYYMMDDTHHMMSSZ")}.
stdout: a JSON array with the Authorization header botocore computes for each. botocore hashes
the body itself, so a wrong x-amz-content-sha256 on our side shows up as a different signature.
"""
import datetime
import json
import sys
import types

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

out = []
for r in json.load(sys.stdin):
    when = datetime.datetime.strptime(r["amz_date"], "%Y%m%dT%H%M%SZ")
    # Pin botocore's clock to the request's own time: older botocore (Debian 12) reads
    # datetime.datetime.utcnow(), newer versions get_current_datetime().
    class FixedClock(datetime.datetime):
        @classmethod
        def utcnow(cls, when=when):
            return when
    botocore.auth.datetime = types.SimpleNamespace(**{**vars(datetime), "datetime": FixedClock})
    botocore.auth.get_current_datetime = lambda when=when: when
    body = b""
    if r.get("body_file"):
        with open(r["body_file"], "rb") as f:
            body = f.read()
    request = AWSRequest(method=r["method"], url=r["url"], headers=r.get("headers", {}), data=body)
    credentials = Credentials(r["access_key"], r["secret_key"], r.get("token") or None)
    botocore.auth.S3SigV4Auth(credentials, "s3", r["region"]).add_auth(request)
    out.append(request.headers["Authorization"])
json.dump(out, sys.stdout)
