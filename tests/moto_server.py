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
reads the version the event names, as it must in AWS. Everything else is moto's code.
"""

import json
import sys
from collections.abc import Mapping

from moto.core.utils import camelcase_to_underscores
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.request import Request as MotoRequest
from moto.iam.access_control import IAMRequestBase
from moto.kms.models import kms_backends
from moto.s3 import notifications as s3_notifications
from moto.kms.responses import KmsResponse
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

if __name__ == "__main__":
    sys.exit(main())
