/**
 * Functions: the planner, the executor and the watcher, and everything that is theirs
 * alone: each one's log group, role and least-privilege grants (the bucket prefixes it
 * reads and writes, the keys, the queues, the topic, the Zoom credential parameters), its
 * environment, and what invokes it: the data bucket's notifications for the planner (one
 * per TRIGGER_PREFIXES entry), the action queue's event source mapping for the executor
 * (the watcher's schedule is in schedule.ts).
 *
 * Its resources are added to the stack itself, not to a construct of its own, so their
 * logical IDs stay those of the deployed stack (see offboard-stack.ts).
 */
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { acknowledge, ignoreCfnLint, skipCheckov, wildcardResourceFinding } from './acknowledge';
import { codeSource, functionCode } from './code';
import { OffboardConfig } from './config';
import { Queues } from './queues';
import { DEFERRED_PREFIX, EXECUTOR_WRITES, FILE_INPUT_PREFIXES, POLICY_KEY, Storage, TRIGGER_PREFIXES, WATCH_PREFIX, WATCHER_WRITES } from './storage';

export interface FunctionsProps {
  readonly config: OffboardConfig;
  readonly storage: Storage;
  readonly queues: Queues;
  /** Where the functions publish run summaries (Notifications.topic). */
  readonly topic: sns.ITopic;
}

/** One of the three functions, with the log group and the role that are its own. */
export interface OffboardFunction {
  readonly fn: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
}

export class Functions {
  /** Roster, HR file, approval, undo request or sweep in; backup, signed plan and actions out. */
  public readonly planner: OffboardFunction;
  /** One SQS batch of actions in; paced Zoom calls and one recorded result per action out. */
  public readonly executor: OffboardFunction;
  /**
   * Once a minute: every run whose actions were sent (watch/): a complete one gets its
   * summary, report and one notification, a stalled one is announced. Never calls Zoom.
   */
  public readonly watcher: OffboardFunction;

  constructor(scope: Stack, props: FunctionsProps) {
    const { config: c, storage, queues, topic } = props;
    const objects = (prefix: string) => storage.objectsUnder(prefix);

    const parameterArns = [c.zoomAccountIdParam, c.zoomClientIdParam, c.zoomClientSecretParam].map(parameterArn);
    // What the planner and the executor, the two functions that call Zoom, share.
    const commonEnvironment: Record<string, string> = {
      ZOOM_ACCOUNT_ID_PARAM: c.zoomAccountIdParam,
      ZOOM_CLIENT_ID_PARAM: c.zoomClientIdParam,
      ZOOM_CLIENT_SECRET_PARAM: c.zoomClientSecretParam,
      OFFBOARD_BUCKET: storage.bucketName,
      ZOOM_PLAN: c.zoomPlan,
      OFFBOARD_BUDGET_SHARE: String(c.budgetShare),
      OFFBOARD_EXECUTOR_CONCURRENCY: String(c.executorConcurrency),
      OFFBOARD_PLAN_KEY_ID: storage.planSigningKey.keyArn,
      ...(c.zoomApiUrl ? { ZOOM_API_URL: c.zoomApiUrl } : {}),
      ...(c.zoomOauthUrl ? { ZOOM_OAUTH_URL: c.zoomOauthUrl } : {}),
    };

    const makeFunction = (
      name: 'planner' | 'executor' | 'watcher',
      description: string,
      settings: {
        memoryMb: number;
        timeoutSeconds: number;
        reserved: number;
        environment: Record<string, string>;
        deadLetterQueue?: sqs.IQueue;
        /** Reads the Zoom credential parameters (the functions that call Zoom). */
        callsZoom: boolean;
        /** Publishes to the topic (the planner: runs that end at planning; the watcher: completions and stalls). */
        publishes: boolean;
      },
    ): OffboardFunction => {
      const logGroup = new logs.LogGroup(scope, `${capitalize(name)}Logs`, {
        retention: c.logRetentionDays as logs.RetentionDays,
        encryptionKey: storage.key,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const role = new iam.Role(scope, `${capitalize(name)}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Offboard ${name}: only what the ${name} does (no AWS-managed policy)`,
      });
      const fn = new lambda.Function(scope, capitalize(name), {
        description,
        runtime: lambda.Runtime.PROVIDED_AL2023,
        architecture: lambda.Architecture.ARM_64,
        handler: 'bootstrap',
        code: functionCode(codeSource(c.lambdaDir, name, c.placeholderCode)),
        memorySize: settings.memoryMb,
        timeout: Duration.seconds(settings.timeoutSeconds),
        reservedConcurrentExecutions: settings.reserved,
        environment: settings.environment,
        environmentEncryption: storage.key,
        role,
        logGroup,
        tracing: lambda.Tracing.ACTIVE,
        deadLetterQueue: settings.deadLetterQueue,
        retryAttempts: settings.deadLetterQueue ? 2 : undefined,
      });
      // Logs: this function's own log group only (its ARN, "log-group:NAME:*", covers its streams).
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );
      // Secrets: the three named SecureString parameters, nothing else in Parameter Store.
      if (settings.callsZoom) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            sid: 'ReadZoomCredentialParameters',
            actions: ['ssm:GetParameter', 'ssm:GetParameters'],
            resources: parameterArns,
          }),
        );
        const decrypt = ssmDecryptStatement(c.ssmKmsKeyArn, parameterArns);
        role.addToPrincipalPolicy(decrypt);
        if (!c.ssmKmsKeyArn) {
          acknowledge(
            role,
            wildcardResourceFinding(scope, decrypt.resources[0]),
            'The parameters use the AWS-managed key aws/ssm, whose key id cannot be known at synth time without an account lookup. The statement is limited to kms:Decrypt, to keys of this account and region, to calls made through Parameter Store (kms:ViaService) and to the three named parameters (kms:EncryptionContext:PARAMETER_ARN). Set ssmKmsKeyArn to name one key instead.',
          );
        }
      }
      // The stack's key: S3 objects, SQS messages (sent, received, dead-lettered), publishing to
      // the topic, and the environment.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'UseTheStackKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [storage.key.keyArn],
        }),
      );
      if (settings.publishes) {
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({ sid: 'PublishRunNotifications', actions: ['sns:Publish'], resources: [topic.topicArn] }),
        );
      }
      // HeadObject on a missing key answers 404 (the ledger's "not written yet") only to a
      // caller allowed s3:ListBucket; a 403 would be read as a failure. The watcher also lists
      // watch/ and a run's results/ and digests/. No s3:prefix condition: the 404
      // depends on S3 finding s3:ListBucket allowed for a HeadObject request, which has no
      // s3:prefix to match, and a wrong guess would only show as 403s in AWS, not offline.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'ListDataBucket', actions: ['s3:ListBucket'], resources: [storage.bucketArn] }),
      );

      acknowledge(
        role,
        'AwsSolutions-IAM5[Resource::*]',
        'Only X-Ray\'s xray:PutTraceSegments and xray:PutTelemetryRecords (added by Lambda active tracing) use "*": X-Ray supports no resource-level permissions for them.',
      );
      ignoreCfnLint(fn, 'W3005', 'CDK adds an explicit DependsOn on the function\'s role next to the GetAtt of its ARN; the duplicate is harmless and comes from aws-cdk-lib, not from this app.');
      skipCheckov(fn, 'CKV_AWS_117', 'The function only calls Zoom\'s public API and AWS APIs and reaches no private resource; a VPC would add NAT gateways and cost without isolating anything.');
      return { fn, role, logGroup };
    };

    const planner = makeFunction('planner', 'Offboard planner: roster, HR file, approval or sweep in; backup, plan and actions out', {
      memoryMb: c.plannerMemoryMb,
      timeoutSeconds: c.plannerTimeoutSeconds,
      reserved: c.plannerConcurrency,
      deadLetterQueue: queues.plannerFailureQueue,
      callsZoom: true,
      publishes: true,
      environment: {
        ...commonEnvironment,
        OFFBOARD_TOPIC_ARN: topic.topicArn,
        OFFBOARD_QUEUE_URL: queues.actionsQueue.queueUrl,
        OFFBOARD_MAX_DESTRUCTIVE_ACTIONS: String(c.maxDestructiveActions),
        OFFBOARD_MAX_DESTRUCTIVE_SHARE: String(c.maxDestructiveShare),
        OFFBOARD_ALLOWED_DOMAINS: c.allowedDomains.join(','),
        OFFBOARD_SWEEP_INACTIVE_DAYS: String(c.sweepInactiveDays),
        OFFBOARD_SWEEP_ACTION: c.sweepAction,
      },
    });
    const executor = makeFunction('executor', 'Offboard executor: one SQS batch of actions, paced Zoom calls, one recorded result per action', {
      memoryMb: c.executorMemoryMb,
      timeoutSeconds: c.executorTimeoutSeconds,
      // At least N, so the event source's maximum concurrency N is never throttled by the function.
      reserved: c.executorConcurrency,
      callsZoom: true,
      publishes: false,
      environment: {
        ...commonEnvironment,
        // Extends the visibility of the messages of a batch that waits on the rate limiter
        // (ChangeMessageVisibility, granted by the SQS event source below).
        OFFBOARD_QUEUE_URL: queues.actionsQueue.queueUrl,
        OFFBOARD_VISIBILITY_TIMEOUT_SECONDS: String(queues.actionsVisibilityTimeout.toSeconds()),
        // Moves a message it cannot read, or one that failed on its last allowed receive, to
        // the DLQ itself, with its reason, before SQS redrive would move it without one.
        OFFBOARD_DLQ_URL: queues.actionsDeadLetterQueue.queueUrl,
        OFFBOARD_MAX_RECEIVE_COUNT: String(c.maxReceiveCount),
        // A ledger claim left by a crashed invocation expires after the function's timeout.
        OFFBOARD_CLAIM_TTL_SECONDS: String(c.executorTimeoutSeconds),
      },
    });
    const watcher = makeFunction('watcher', 'Offboard watcher: once a minute, completes finished runs and announces stalled ones', {
      memoryMb: WATCHER_MEMORY_MB,
      timeoutSeconds: WATCHER_TIMEOUT_SECONDS,
      // One look at a time: two at once would only race for the same write-once records.
      reserved: 1,
      callsZoom: false,
      publishes: true,
      environment: {
        OFFBOARD_BUCKET: storage.bucketName,
        OFFBOARD_TOPIC_ARN: topic.topicArn,
        OFFBOARD_STALL_AFTER_SECONDS: String(c.stallAfterMinutes * 60),
        // A notification claim left by a crashed look expires after the watcher's timeout.
        OFFBOARD_CLAIM_TTL_SECONDS: String(WATCHER_TIMEOUT_SECONDS),
      },
    });
    skipCheckov(watcher.fn, 'CKV_AWS_116', 'The watcher is invoked by its schedule once a minute and keeps no state of its own: a failed look is the next minute\'s look, and its errors alarm says it; a DLQ would hold nothing to replay.');
    skipCheckov(executor.fn, 'CKV_AWS_116', 'The executor is invoked synchronously by its SQS event source mapping, where a function DLQ never applies; it moves a failed action message to the action queue\'s dead-letter queue itself (with its reason), and SQS redrive (maxReceiveCount) is the backstop.');

    // Planner: reads what starts a run, the policy, and what it re-reads (held plans, results
    // to undo); writes backups and runs; keeps HR terminations not yet due under schedule/
    // (read, rewritten and deleted by the sweep that takes them up), and so the deferred
    // actions under deferred/.
    const plannerReads = [...TRIGGER_PREFIXES, 'runs/', 'schedule/', DEFERRED_PREFIX];
    const plannerWrites = ['backups/', 'runs/', 'schedule/', DEFERRED_PREFIX];
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReadTriggersRunsAndSchedule', actions: ['s3:GetObject'], resources: plannerReads.map(objects) }),
    );
    // The version an S3 event names, so a quick re-upload cannot be planned under the
    // first upload's run (GetObject/HeadObject with a versionId need this action).
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReadTheUploadedVersion', actions: ['s3:GetObjectVersion'], resources: FILE_INPUT_PREFIXES.map(objects) }),
    );
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReadThePolicy', actions: ['s3:GetObject'], resources: [storage.objectArn(POLICY_KEY)] }),
    );
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'WriteBackupsRunsAndSchedule', actions: ['s3:PutObject'], resources: plannerWrites.map(objects) }),
    );
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'DeleteTakenUpSchedule', actions: ['s3:DeleteObject'], resources: [objects('schedule/'), objects(DEFERRED_PREFIX)] }),
    );
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'SignAndCheckPlans', actions: ['kms:GenerateMac', 'kms:VerifyMac'], resources: [storage.planSigningKey.keyArn] }),
    );
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'SendActions', actions: ['sqs:SendMessage'], resources: [queues.actionsQueue.queueArn] }),
    );
    for (const prefix of new Set([...plannerReads, ...plannerWrites])) {
      acknowledge(
        planner.role,
        wildcardResourceFinding(scope, objects(prefix)),
        `Object keys under ${prefix} are created at run time (file names, run ids); a key prefix can only be written as "${prefix}*". It is one of the prefixes the planner reads or writes.`,
      );
    }

    // Planner: lists the run it sent in watch/, for the watcher.
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ListSentRuns', actions: ['s3:PutObject'], resources: [objects(WATCH_PREFIX)] }),
    );
    acknowledge(
      planner.role,
      wildcardResourceFinding(scope, objects(WATCH_PREFIX)),
      `Object keys under ${WATCH_PREFIX} are run ids, created at run time; a key prefix can only be written as "${WATCH_PREFIX}*".`,
    );

    // Executor: reads a run's plan, claims and results; writes only claims, results and
    // digests: never a plan, an approval, the policy, a backup or a summary.
    const executorWrites = EXECUTOR_WRITES.map((k) => storage.objectArn(k));
    executor.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReadRuns', actions: ['s3:GetObject'], resources: [objects('runs/')] }),
    );
    executor.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'WriteClaimsResultsAndDigests', actions: ['s3:PutObject'], resources: executorWrites }),
    );
    executor.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'CheckPlanSignatures', actions: ['kms:VerifyMac'], resources: [storage.planSigningKey.keyArn] }),
    );
    // Executor: dead-letters an action message itself, with its reason as message attributes.
    // sqs:SendMessage alone, not queue.grantSendMessages: that would add GetQueueAttributes and
    // GetQueueUrl, which the executor does not call, and kms:ReEncrypt* / kms:GenerateDataKey*
    // on the key. Sending to the KMS-encrypted DLQ needs kms:GenerateDataKey and kms:Decrypt on
    // the stack key, which UseTheStackKey already allows.
    executor.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'DeadLetterActions', actions: ['sqs:SendMessage'], resources: [queues.actionsDeadLetterQueue.queueArn] }),
    );
    for (const resource of [objects('runs/'), ...executorWrites]) {
      acknowledge(
        executor.role,
        wildcardResourceFinding(scope, resource),
        'Object keys under runs/ are created at run time (run ids, action ids); they can only be written with "*" for the run and the action. runs/ is the only prefix the executor uses.',
      );
    }

    // Watcher: reads runs/ and its list watch/; writes only a run's summary, report,
    // notification and stall records and its deferred actions (deferred/<run>.json);
    // deletes a finished run's watch/ entry. No Zoom, no queue, no signing key.
    const watcherWrites = WATCHER_WRITES.map((k) => storage.objectArn(k));
    watcher.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReadRunsAndWatchList', actions: ['s3:GetObject'], resources: [objects('runs/'), objects(WATCH_PREFIX)] }),
    );
    watcher.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'WriteSummariesAndRecords', actions: ['s3:PutObject'], resources: watcherWrites }),
    );
    watcher.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'UnlistFinishedRuns', actions: ['s3:DeleteObject'], resources: [objects(WATCH_PREFIX)] }),
    );
    for (const resource of [objects('runs/'), objects(WATCH_PREFIX), ...watcherWrites]) {
      acknowledge(
        watcher.role,
        wildcardResourceFinding(scope, resource),
        'Object keys under runs/, watch/ and deferred/ are created at run time (run ids, counts); they can only be written with "*" for the run. They are the only prefixes the watcher uses.',
      );
    }

    // Action queue → executor (also grants it receiving, deleting and changing the visibility of messages).
    executor.fn.addEventSource(
      new SqsEventSource(queues.actionsQueue, {
        batchSize: c.batchSize,
        maxConcurrency: c.executorConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    // S3 → planner, for each trigger prefix. The permission exists before the bucket's
    // notification configuration, which S3 validates against it; both name the bucket by its
    // computed ARN (Storage.bucketArn), which keeps the planner's policy free of a cycle.
    const s3Invoke = new lambda.CfnPermission(scope, 'PlannerInvokeFromDataBucket', {
      action: 'lambda:InvokeFunction',
      functionName: planner.fn.functionArn,
      principal: 's3.amazonaws.com',
      sourceArn: storage.bucketArn,
      sourceAccount: Aws.ACCOUNT_ID,
    });
    const cfnBucket = storage.dataBucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.notificationConfiguration = {
      lambdaConfigurations: TRIGGER_PREFIXES.map((prefix) => ({
        event: 's3:ObjectCreated:*',
        function: planner.fn.functionArn,
        filter: { s3Key: { rules: [{ name: 'prefix', value: prefix }] } },
      })),
    };
    cfnBucket.addResourceDependency(s3Invoke, 'S3 validates the notification against the permission');

    this.planner = planner;
    this.executor = executor;
    this.watcher = watcher;
  }
}

/** The watcher looks at every sent run in one invocation; a minute is its schedule's period. */
const WATCHER_TIMEOUT_SECONDS = 60;
const WATCHER_MEMORY_MB = 256;

/** The ARN of a Parameter Store parameter of this account and region, by name (with or without its leading "/"). */
function parameterArn(name: string): string {
  return `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter${name.startsWith('/') ? name : `/${name}`}`;
}

/**
 * kms:Decrypt for the SecureString parameters. With a customer-managed key named in the
 * config: that key only. Without one (the AWS-managed key aws/ssm, whose id cannot be
 * known at synth time without a lookup): any key of this account and region, but only
 * when Parameter Store asks for it and only for the three parameters (SSM puts the
 * parameter's ARN in the encryption context).
 */
function ssmDecryptStatement(ssmKmsKeyArn: string | undefined, parameterArns: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DecryptZoomCredentialParameters',
    actions: ['kms:Decrypt'],
    resources: [ssmKmsKeyArn ?? `arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
    conditions: {
      StringEquals: {
        'kms:ViaService': `ssm.${Aws.REGION}.amazonaws.com`,
        'kms:EncryptionContext:PARAMETER_ARN': parameterArns,
      },
    },
  });
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
