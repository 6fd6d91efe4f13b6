/**
 * Queues: how work and failures wait. Owns the action queue (the planner's actions, one
 * message each, consumed by the executor), its dead-letter queue, and the planner failure
 * queue (the S3 and schedule events the planner failed on after retries), all encrypted
 * with the stack key.
 *
 * Its resources are added to the stack itself, not to a construct of its own, so their
 * logical IDs stay those of the deployed stack (see offboard-stack.ts).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { acknowledge } from './acknowledge';
import { OffboardConfig } from './config';

export interface QueuesProps {
  readonly config: Pick<OffboardConfig, 'executorTimeoutSeconds' | 'maxReceiveCount'>;
  /** The stack key (Storage.key). */
  readonly key: kms.IKey;
}

export class Queues {
  /** Where a message of the action queue goes after maxReceiveCount receives, or when the executor moves it. */
  public readonly actionsDeadLetterQueue: sqs.Queue;
  public readonly actionsQueue: sqs.Queue;
  /**
   * How long a received action message stays hidden: while up to six executor invocations
   * could try it (AWS's guidance for SQS event sources). The executor is told the same value
   * (it extends the visibility of a batch that waits on the rate limiter).
   */
  public readonly actionsVisibilityTimeout: Duration;
  /** The planner's dead-letter queue, for its asynchronous invocations (S3) and the sweep schedule. */
  public readonly plannerFailureQueue: sqs.Queue;

  constructor(scope: Stack, props: QueuesProps) {
    const c = props.config;
    // Every queue alike: encrypted with the stack's key, reachable over TLS only.
    const secured = { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true };

    this.actionsDeadLetterQueue = new sqs.Queue(scope, 'ActionsDeadLetterQueue', {
      ...secured,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.actionsDeadLetterQueue, 'AwsSolutions-SQS3', 'This queue is the dead-letter queue of the action queue; a dead-letter queue of its own would only move poison messages further from the alarm that watches this one.');

    this.actionsVisibilityTimeout = Duration.seconds(6 * c.executorTimeoutSeconds);
    this.actionsQueue = new sqs.Queue(scope, 'ActionsQueue', {
      ...secured,
      visibilityTimeout: this.actionsVisibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.actionsDeadLetterQueue, maxReceiveCount: c.maxReceiveCount },
    });

    this.plannerFailureQueue = new sqs.Queue(scope, 'PlannerFailureQueue', {
      ...secured,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.plannerFailureQueue, 'AwsSolutions-SQS3', 'This queue is itself a dead-letter queue: it holds the S3 and schedule events the planner failed on after Lambda\'s and the scheduler\'s retries.');
  }
}
