"""moto's server, as `moto_server` starts it, with one fix for large queues.

moto 5.2.5 builds `Queue.attributes` whole whenever it reads one attribute: three counts,
each a scan of every message of the queue. SendMessage reads it to look up
`ContentBasedDeduplication`, and ReceiveMessage up to three times per received message
for `MessageRetentionPeriod`, so a queue of 5,000 messages (the chaos run) takes seconds
per call. Here `Queue.attributes` is a read-only mapping that computes an attribute when
it is read, with the same names and values as moto's own. Everything else is moto's code.
"""

import json
import sys
from collections.abc import Mapping

from moto.core.utils import camelcase_to_underscores
from moto.server import main
from moto.sqs import models


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

if __name__ == "__main__":
    sys.exit(main())
