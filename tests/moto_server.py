"""moto's server, as `moto_server` starts it, with one fix for large queues and IAM
checks on the resources of SSM, SNS and KMS calls.

moto 5.2.5 builds `Queue.attributes` whole whenever it reads one attribute: three counts,
each a scan of every message of the queue. SendMessage reads it to look up
`ContentBasedDeduplication`, and ReceiveMessage up to three times per received message
for `MessageRetentionPeriod`, so a queue of 5,000 messages (the chaos run) takes seconds
per call. Here `Queue.attributes` is a read-only mapping that computes an attribute when
it is read, with the same names and values as moto's own.

moto checks identity policies (when IAM checks are on) against the resource a request
names only for S3, SQS, IAM and STS; for every other service it checks against "*", so a
statement limited to a parameter, a topic or a key (as every statement of the stack's
roles is) never matches and the call is denied. Here SSM calls are checked against each
parameter they name, SNS calls against their topic, and KMS calls against their key, as
AWS does.

moto's S3 notifications leave out the object's `versionId`, which S3 puts in every
notification from a versioned bucket (the stack's is): here it is added, so the planner
reads the version the event names, as it must in AWS.

Two additions around moto's WSGI application (`OffboardMiddleware`, put in by wrapping the
`run_simple` that `moto.server.main` serves moto's `DomainDispatcherApplication` with),
both leaving moto's answers as they are:

- `OFFBOARD_MOTO_LATENCY_MS=<n>` (an integer, unset or 0 = off): every AWS API request
  waits n ms before moto handles it, as a request to AWS costs a round trip. The server
  runs a thread per connection, so one request's wait delays no other.
- Every AWS API request is counted by (access key id, service, operation), the first two
  from the SigV4 credential scope (the `Authorization` header, or `X-Amz-Credential` of a
  presigned URL), the operation from `X-Amz-Target` or `Action` (JSON and query
  protocols) or, for S3, from the method, path and query. `GET /_offboard/requests`
  answers `{"requests": [{"access_key_id", "service", "operation", "count"}, ...]}` and
  `POST /_offboard/requests/reset` zeroes the counts (answers `{}`).

Requests to `/moto-api` and `/_offboard/` are neither delayed nor counted, and the
`/_offboard/` ones never reach moto (so no IAM check applies to them). Everything else
is moto's code.
"""

import io
import json
import os
import re
import sys
import threading
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl

from moto.core.utils import camelcase_to_underscores
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.request import Request as MotoRequest
from moto.iam.access_control import IAMRequestBase
from moto.kms.models import kms_backends
from moto.s3 import notifications as s3_notifications
from moto.kms.responses import KmsResponse
import moto.server as moto_server
from moto.server import main
from moto.sns.responses import SNSResponse
from moto.sqs import models
from moto.ssm.responses import SimpleSystemManagerResponse


class LazyQueueAttributes(Mapping):
    """`Queue.attributes`, one attribute at a time."""

    def __init__(self, queue):
        self._queue = queue
        names = list(queue.BASE_ATTRIBUTES)
        if queue.fifo_queue:
            names += queue.FIFO_ATTRIBUTES
        if queue.kms_master_key_id:
            names += queue.KMS_ATTRIBUTES
        if queue.policy:
            names.append("Policy")
        if queue.redrive_policy:
            names.append("RedrivePolicy")
        self._names = names

    def __getitem__(self, name):
        if name not in self._names:
            raise KeyError(name)
        if name == "Policy":
            return self._queue.policy
        if name == "RedrivePolicy":
            return json.dumps(self._queue.redrive_policy)
        value = getattr(self._queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __contains__(self, name):
        return name in self._names

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)


models.Queue.attributes = property(LazyQueueAttributes)

_check = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action


def _json_body(response):
    try:
        return json.loads(response.body or "{}")
    except ValueError:
        return {}


def _ssm_parameter_arns(response):
    body = _json_body(response)
    names = body.get("Names") or ([body["Name"]] if body.get("Name") else [])
    prefix = f"arn:aws:ssm:{response.region}:{response.current_account}:parameter"
    return [name if name.startswith("arn:") else prefix + ("" if name.startswith("/") else "/") + name for name in names]


def _check_each_parameter(self, resource="*"):
    for arn in _ssm_parameter_arns(self) or [resource]:
        _check(self, arn)


def _kms_key_arn(self):
    key_id = _json_body(self).get("KeyId")
    if not key_id:
        return "*"
    try:
        return kms_backends[self.current_account][self.region].describe_key(key_id).arn
    except Exception:  # an unknown key: KMS itself answers NotFound after the check
        return "*"


def _sns_topic_arn(self):
    return self._get_param("TopicArn") or "*"


# IAM actions of API calls that have none of their own (AWS's SQS API reference:
# "the permission for SendMessageBatch is sqs:SendMessage", and so on).
IAM_ACTION_OF_CALL = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}
_iam_request_init = IAMRequestBase.__init__


def _iam_request_with_iam_actions(self, *args, **kwargs):
    _iam_request_init(self, *args, **kwargs)
    self._action = IAM_ACTION_OF_CALL.get(self._action, self._action)


IAMRequestBase.__init__ = _iam_request_with_iam_actions

_moto_s3_event = s3_notifications._get_s3_event


def _s3_event_with_version(event_name, bucket, key, notification_id):
    event = _moto_s3_event(event_name, bucket, key, notification_id)
    version = getattr(key, "version_id", None)
    if version and version != "null":
        for record in event["Records"]:
            record["s3"]["object"]["versionId"] = version
    return event


s3_notifications._get_s3_event = _s3_event_with_version

# The body as it arrived, also for a form (werkzeug parses the form from the cached bytes).
MotoRequest.data = property(lambda self: self.get_data(cache=True, parse_form_data=False))
SimpleSystemManagerResponse._authenticate_and_authorize_normal_action = _check_each_parameter
KmsResponse._determine_resource = _kms_key_arn
SNSResponse._determine_resource = _sns_topic_arn



# --- Latency and request counts (a WSGI middleware around moto's application) ---

LATENCY_ENV = "OFFBOARD_MOTO_LATENCY_MS"
COUNTS_PATH = "/_offboard/requests"
RESET_PATH = "/_offboard/requests/reset"

# `Credential=AKID/20240101/us-east-1/s3/aws4_request`, in a header or a query parameter.
_CREDENTIAL = re.compile(r"Credential=([^/,\s]*)/[^/]*/[^/]*/([^/,\s]*)/aws4_request")


def _latency_seconds():
    raw = os.environ.get(LATENCY_ENV, "").strip()
    if not raw:
        return 0.0
    try:
        ms = int(raw)
    except ValueError:
        raise SystemExit(f"{LATENCY_ENV} must be an integer number of milliseconds, not {raw!r}")
    if ms < 0:
        raise SystemExit(f"{LATENCY_ENV} must not be negative, not {ms}")
    return ms / 1000.0


def _query(environ):
    return parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)


def _credential(environ, query):
    """(access key id, service) of a SigV4 request, else ("", "")."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.group(1), match.group(2)
    for name, value in query:
        if name.lower() == "x-amz-credential":
            parts = value.split("/")
            if len(parts) >= 5:
                return parts[0], parts[3]
    return "", ""


def _form_action(environ):
    """`Action` of a form body (query protocol), leaving the body for moto to read."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length <= 0:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)  # as moto's own dispatcher does after reading it
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        if name == "Action":
            return value
    return None


# S3 operations named by their own query parameter (the SDKs' `x-id` aside).
_S3_BY_QUERY = {
    ("GET", "bucket", "versions"): "ListObjectVersions",
    ("GET", "bucket", "uploads"): "ListMultipartUploads",
    ("POST", "bucket", "delete"): "DeleteObjects",
    ("POST", "object", "uploads"): "CreateMultipartUpload",
    ("GET", "object", "uploadId"): "ListParts",
    ("DELETE", "object", "uploadId"): "AbortMultipartUpload",
    ("POST", "object", "uploadId"): "CompleteMultipartUpload",
}
# Query parameters that do not change an operation: presigning, versions, response headers.
_S3_PLAIN_PARAMS = {"versionId", "partNumber", "x-id"}


def _s3_operation(environ, query):
    method = environ.get("REQUEST_METHOD", "GET").upper()
    path = environ.get("PATH_INFO", "/")
    if isinstance(path, bytes):
        path = path.decode("utf-8", "replace")
    bucket, _, key = path.lstrip("/").partition("/")
    level = "object" if key else "bucket" if bucket else "service"
    params = {name: value for name, value in query}
    # The SDKs name some operations themselves: `PUT /bucket/key?x-id=PutObject`.
    if params.get("x-id"):
        return params["x-id"]
    keys = [
        name for name, _ in query
        if name not in _S3_PLAIN_PARAMS
        and not name.lower().startswith("x-amz-")
        and not name.startswith("response-")
    ]
    first = keys[0] if keys else None
    if level == "service" and not first:
        return {"GET": "ListBuckets"}.get(method, f"{method} service")
    if level == "bucket" and method == "GET" and params.get("list-type") == "2":
        return "ListObjectsV2"
    if first and (method, level, first) in _S3_BY_QUERY:
        return _S3_BY_QUERY[(method, level, first)]
    if level == "object" and method == "PUT" and "uploadId" in params:
        return "UploadPartCopy" if "HTTP_X_AMZ_COPY_SOURCE" in environ else "UploadPart"
    if not first:
        if level == "object":
            if method == "PUT":
                return "CopyObject" if "HTTP_X_AMZ_COPY_SOURCE" in environ else "PutObject"
            named = {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}
        else:
            named = {"GET": "ListObjects", "HEAD": "HeadBucket", "PUT": "CreateBucket", "DELETE": "DeleteBucket"}
        if method in named:
            return named[method]
    return f"{method} {level}" + (f" {first}" if first else "")


def _operation(environ, query, service):
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    for name, value in query:
        if name == "Action":
            return value
    action = _form_action(environ)
    if action:
        return action
    if service in ("s3", ""):
        return _s3_operation(environ, query)
    return f"{environ.get('REQUEST_METHOD', 'GET').upper()} {environ.get('PATH_INFO', '/')}"


class OffboardMiddleware:
    """Latency and request counts around moto's WSGI application."""

    def __init__(self, app, latency_seconds):
        self.app = app
        self.latency = latency_seconds
        self.lock = threading.Lock()
        self.counts = {}

    def _json(self, start_response, status, body):
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def _own(self, environ, start_response, path):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = path.rstrip("/")
        if path == COUNTS_PATH and method == "GET":
            with self.lock:
                items = sorted(self.counts.items())
            return self._json(start_response, "200 OK", {"requests": [
                {"access_key_id": akid, "service": service, "operation": operation, "count": count}
                for (akid, service, operation), count in items
            ]})
        if path == RESET_PATH and method == "POST":
            with self.lock:
                self.counts.clear()
            return self._json(start_response, "200 OK", {})
        if path in (COUNTS_PATH, RESET_PATH):
            return self._json(start_response, "405 Method Not Allowed", {"error": f"{method} not allowed on {path}"})
        return self._json(start_response, "404 Not Found", {"error": f"no such endpoint: {path}"})

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if isinstance(path, bytes):
            path = path.decode("utf-8", "replace")
        if path == "/_offboard" or path.startswith("/_offboard/"):
            return self._own(environ, start_response, path)
        if not (path.startswith("/moto-api") or path == "/favicon.ico"):
            query = _query(environ)
            access_key_id, service = _credential(environ, query)
            try:
                operation = _operation(environ, query, service)
            except Exception as error:  # never let counting break a request
                operation = f"unknown ({type(error).__name__})"
            counted = (access_key_id, service, operation)
            with self.lock:
                self.counts[counted] = self.counts.get(counted, 0) + 1
            if self.latency:
                time.sleep(self.latency)
        return self.app(environ, start_response)


_run_simple = moto_server.run_simple


def _run_simple_with_middleware(hostname, port, application, **kwargs):
    # A thread per connection (moto's main asks for it already), so a delay is per request.
    kwargs["threaded"] = True
    kwargs.pop("processes", None)
    return _run_simple(hostname, port, OffboardMiddleware(application, _latency_seconds()), **kwargs)


moto_server.run_simple = _run_simple_with_middleware

if __name__ == "__main__":
    sys.exit(main())
