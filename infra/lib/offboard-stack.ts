/**
 * The Offboard stack: the bucket and its notifications, the planner and executor
 * functions, the action queue and its dead-letter queue, the sweep schedule, the
 * notification topic, alarms, and least-privilege IAM.
 *
 * Names that identify the bucket are computed (`<prefix>-<account>-<region>`), not read
 * from the bucket resource, so the bucket can depend on the planner's invoke permission
 * (S3 checks it when the notification is created) while the planner's policy names the
 * bucket: no dependency cycle, and no custom resource to write the notification.
 */
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, ignoreCfnLint, skipCheckov, wildcardResourceFinding } from './acknowledge';
import { codeSource, functionCode } from './code';
import { OffboardConfig } from './config';

/**
 * Prefixes under which a new object starts a planner run: rosters, HR files, approvals of
 * held plans, and undo requests (`undo/<run>.json`, from which the planner builds the undo run).
 */
export const TRIGGER_PREFIXES = ['inbox/', 'hr/', 'approvals/', 'undo/'] as const;

/** Prefixes of the uploaded files a run plans from (the planner reads the version the event names). */
export const FILE_INPUT_PREFIXES = ['inbox/', 'hr/'] as const;

/** The policy object the planner reads over the deployment's settings. */
export const POLICY_KEY = 'config/policy.json';

/**
 * What the executor writes: a run's claims and results, and at its end its summary and report,
 * the claims on publishing its notification and the record that it was published.
 */
export const EXECUTOR_WRITES = [
  'runs/*/claims/*',
  'runs/*/results/*',
  'runs/*/summary.json',
  'runs/*/report.csv',
  'runs/*/notify-claims/*',
  'runs/*/notified.json',
] as const;

/** What operators upload: rosters, approvals of held runs, undo requests. */
export const OPERATOR_WRITES = ['inbox/', 'approvals/', 'undo/'] as const;

export interface OffboardStackProps extends StackProps {
  readonly config: OffboardConfig;
}

export class OffboardStack extends Stack {
  public readonly config: OffboardConfig;

  constructor(scope: Construct, id: string, props: OffboardStackProps) {
    super(scope, id, props);
    const c = props.config;
    this.config = c;

    const bucketName = `${c.bucketNamePrefix}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
    const bucketArn = `arn:${Aws.PARTITION}:s3:::${bucketName}`;
    const objects = (prefix: string) => `${bucketArn}/${prefix}*`;

    // ---------------------------------------------------------------- encryption key
    // One customer-managed key for the data Offboard holds (rosters, HR files, backups,
    // plans, results), its queues, topic, logs and function environments.
    const key = new kms.Key(this, 'Key', {
      description: 'Offboard: encrypts the data bucket, queues, topic, logs and function environments',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch alarms publish to the encrypted topic.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'], // in a key policy, "*" is this key
      }),
    );
    // CloudWatch Logs encrypts the functions' log groups, and only this account's.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` },
        },
      }),
    );

    // The planner's signature on every plan it writes: an HMAC key that only the planner may
    // use to sign (GenerateMac) and both functions may use to check (VerifyMac). The executor
    // acts only on messages of a plan whose signature verifies, so an object or a message
    // written by anyone else with access to the bucket or the queue leads to no Zoom call.
    const planKey = new kms.Key(this, 'PlanSigningKey', {
      description: 'Offboard: signs the plans the planner writes (HMAC); the executor acts only on signed plans',
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    skipCheckov(planKey, 'CKV_AWS_7', 'An HMAC KMS key cannot have automatic rotation (KMS rotates symmetric encryption keys only); it signs plans and encrypts nothing.');

    // ---------------------------------------------------------------- buckets
    const accessLogs = new s3.Bucket(this, 'AccessLogBucket', {
      bucketName: `${c.bucketNamePrefix}-logs-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
      // S3 server access logs can only be delivered to a bucket encrypted with SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(c.accessLogRetentionDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(accessLogs, 'AwsSolutions-S1', 'This bucket receives the data bucket\'s server access logs; logging it too would log the log deliveries themselves, without end.');
    skipCheckov(accessLogs, 'CKV_AWS_18', 'This bucket receives the data bucket\'s server access logs; logging it too would log the log deliveries themselves, without end.');

    const bucket = new s3.Bucket(this, 'DataBucket', {
      bucketName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: `${c.bucketNamePrefix}/`,
      lifecycleRules: [
        { id: 'expire-backups', prefix: 'backups/', expiration: Duration.days(c.backupRetentionDays) },
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(c.noncurrentVersionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---------------------------------------------------------------- queues and topic
    const actionsDlq = new sqs.Queue(this, 'ActionsDeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(actionsDlq, 'AwsSolutions-SQS3', 'This queue is the dead-letter queue of the action queue; a dead-letter queue of its own would only move poison messages further from the alarm that watches this one.');

    // A message stays hidden while up to six executor invocations could try it (AWS's guidance
    // for SQS event sources). The executor is told the same value (it extends the visibility of
    // a batch that waits on the rate limiter).
    const actionsVisibilityTimeout = Duration.seconds(6 * c.executorTimeoutSeconds);
    const actions = new sqs.Queue(this, 'ActionsQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      visibilityTimeout: actionsVisibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: actionsDlq, maxReceiveCount: c.maxReceiveCount },
    });

    const plannerFailures = new sqs.Queue(this, 'PlannerFailureQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(plannerFailures, 'AwsSolutions-SQS3', 'This queue is itself a dead-letter queue: it holds the S3 and schedule events the planner failed on after Lambda\'s and the scheduler\'s retries.');

    const topic = new sns.Topic(this, 'NotificationTopic', {
      displayName: 'Offboard run summaries and alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (c.notificationEmail) topic.addSubscription(new subscriptions.EmailSubscription(c.notificationEmail));

    // ---------------------------------------------------------------- functions
    const secretParams = [c.zoomAccountIdParam, c.zoomClientIdParam, c.zoomClientSecretParam];
    const parameterArn = (name: string) =>
      `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter${name.startsWith('/') ? name : `/${name}`}`;
    const parameterArns = secretParams.map(parameterArn);

    const commonEnvironment: Record<string, string> = {
      ZOOM_ACCOUNT_ID_PARAM: c.zoomAccountIdParam,
      ZOOM_CLIENT_ID_PARAM: c.zoomClientIdParam,
      ZOOM_CLIENT_SECRET_PARAM: c.zoomClientSecretParam,
      OFFBOARD_BUCKET: bucketName,
      OFFBOARD_TOPIC_ARN: topic.topicArn,
      ZOOM_PLAN: c.zoomPlan,
      OFFBOARD_BUDGET_SHARE: String(c.budgetShare),
      OFFBOARD_EXECUTOR_CONCURRENCY: String(c.executorConcurrency),
      OFFBOARD_PLAN_KEY_ID: planKey.keyArn,
      ...(c.zoomApiUrl ? { ZOOM_API_URL: c.zoomApiUrl } : {}),
      ...(c.zoomOauthUrl ? { ZOOM_OAUTH_URL: c.zoomOauthUrl } : {}),
    };

    const makeFunction = (
      name: 'planner' | 'executor',
      description: string,
      settings: { memoryMb: number; timeoutSeconds: number; reserved: number; environment: Record<string, string>; deadLetterQueue?: sqs.IQueue },
    ) => {
      const logGroup = new logs.LogGroup(this, `${capitalize(name)}Logs`, {
        retention: c.logRetentionDays as logs.RetentionDays,
        encryptionKey: key,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const role = new iam.Role(this, `${capitalize(name)}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Offboard ${name}: only what the ${name} does (no AWS-managed policy)`,
      });
      const fn = new lambda.Function(this, capitalize(name), {
        description,
        runtime: lambda.Runtime.PROVIDED_AL2023,
        architecture: lambda.Architecture.ARM_64,
        handler: 'bootstrap',
        code: functionCode(codeSource(c.lambdaDir, name, c.placeholderCode)),
        memorySize: settings.memoryMb,
        timeout: Duration.seconds(settings.timeoutSeconds),
        reservedConcurrentExecutions: settings.reserved,
        environment: settings.environment,
        environmentEncryption: key,
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
          wildcardResourceFinding(this, decrypt.resources[0]),
          'The parameters use the AWS-managed key aws/ssm, whose key id cannot be known at synth time without an account lookup. The statement is limited to kms:Decrypt, to keys of this account and region, to calls made through Parameter Store (kms:ViaService) and to the three named parameters (kms:EncryptionContext:PARAMETER_ARN). Set ssmKmsKeyArn to name one key instead.',
        );
      }
      // The stack's key: S3 objects, SQS messages (sent, received, dead-lettered), publishing to
      // the topic, and the environment.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'UseTheStackKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [key.keyArn],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'PublishRunNotifications', actions: ['sns:Publish'], resources: [topic.topicArn] }),
      );
      // HeadObject on a missing key answers 404 (the ledger's "not written yet") only to a
      // caller allowed s3:ListBucket; a 403 would be read as a failure. The executor also lists
      // runs/<run>/results/ to tell when a run is complete. No s3:prefix condition: the 404
      // depends on S3 finding s3:ListBucket allowed for a HeadObject request, which has no
      // s3:prefix to match, and a wrong guess would only show as 403s in AWS, not offline.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'ListDataBucket', actions: ['s3:ListBucket'], resources: [bucketArn] }),
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
      deadLetterQueue: plannerFailures,
      environment: {
        ...commonEnvironment,
        OFFBOARD_QUEUE_URL: actions.queueUrl,
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
      environment: {
        ...commonEnvironment,
        // Extends the visibility of the messages of a batch that waits on the rate limiter
        // (ChangeMessageVisibility, granted by the SQS event source below).
        OFFBOARD_QUEUE_URL: actions.queueUrl,
        OFFBOARD_VISIBILITY_TIMEOUT_SECONDS: String(actionsVisibilityTimeout.toSeconds()),
        // Moves a message it cannot read, or one that failed on its last allowed receive, to
        // the DLQ itself, with its reason, before SQS redrive would move it without one.
        OFFBOARD_DLQ_URL: actionsDlq.queueUrl,
        OFFBOARD_MAX_RECEIVE_COUNT: String(c.maxReceiveCount),
        // A ledger claim left by a crashed invocation expires after the function's timeout.
        OFFBOARD_CLAIM_TTL_SECONDS: String(c.executorTimeoutSeconds),
      },
    });
    skipCheckov(executor.fn, 'CKV_AWS_116', 'The executor is invoked synchronously by its SQS event source mapping, where a function DLQ never applies; it moves a failed action message to the action queue\'s dead-letter queue itself (with its reason), and SQS redrive (maxReceiveCount) is the backstop.');

    // Planner: reads what starts a run, the policy, and what it re-reads (held plans, results
    // to undo); writes backups and runs; keeps HR terminations not yet due under schedule/
    // (read, rewritten and deleted by the sweep that takes them up).
    const plannerReads = [...TRIGGER_PREFIXES, 'runs/', 'schedule/'];
    const plannerWrites = ['backups/', 'runs/', 'schedule/'];
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReadTriggersRunsAndSchedule', actions: ['s3:GetObject'], resources: plannerReads.map(objects) }),
    );
    // The version an S3 event names, so a quick re-upload cannot be planned under the
    // first upload's run (GetObject/HeadObject with a versionId need this action).
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReadTheUploadedVersion', actions: ['s3:GetObjectVersion'], resources: FILE_INPUT_PREFIXES.map(objects) }),
    );
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReadThePolicy', actions: ['s3:GetObject'], resources: [`${bucketArn}/${POLICY_KEY}`] }),
    );
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'WriteBackupsRunsAndSchedule', actions: ['s3:PutObject'], resources: plannerWrites.map(objects) }),
    );
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'DeleteTakenUpSchedule', actions: ['s3:DeleteObject'], resources: [objects('schedule/')] }),
    );
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'SignAndCheckPlans', actions: ['kms:GenerateMac', 'kms:VerifyMac'], resources: [planKey.keyArn] }),
    );
    planner.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'SendActions', actions: ['sqs:SendMessage'], resources: [actions.queueArn] }),
    );
    for (const prefix of new Set([...plannerReads, ...plannerWrites])) {
      acknowledge(
        planner.role,
        wildcardResourceFinding(this, objects(prefix)),
        `Object keys under ${prefix} are created at run time (file names, run ids); a key prefix can only be written as "${prefix}*". It is one of the prefixes the planner reads or writes.`,
      );
    }

    // Only the planner signs, whatever other principals' IAM policies allow.
    planKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyThePlannerSignsPlans',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:GenerateMac'],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': planner.role.roleArn } },
      }),
    );

    // Executor: reads a run's plan, claims and results; writes only claims, results and the
    // run's summary, report and notification record: never a plan, an approval, the policy
    // or a backup.
    executor.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ReadRuns', actions: ['s3:GetObject'], resources: [objects('runs/')] }),
    );
    executor.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'WriteClaimsResultsAndSummaries', actions: ['s3:PutObject'], resources: EXECUTOR_WRITES.map((k) => `${bucketArn}/${k}`) }),
    );
    executor.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'CheckPlanSignatures', actions: ['kms:VerifyMac'], resources: [planKey.keyArn] }),
    );
    // Executor: dead-letters an action message itself, with its reason as message attributes.
    // sqs:SendMessage alone, not queue.grantSendMessages: that would add GetQueueAttributes and
    // GetQueueUrl, which the executor does not call, and kms:ReEncrypt* / kms:GenerateDataKey*
    // on the key. Sending to the KMS-encrypted DLQ needs kms:GenerateDataKey and kms:Decrypt on
    // the stack key, which UseTheStackKey already allows.
    executor.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'DeadLetterActions', actions: ['sqs:SendMessage'], resources: [actionsDlq.queueArn] }),
    );
    for (const resource of [objects('runs/'), ...EXECUTOR_WRITES.map((k) => `${bucketArn}/${k}`)]) {
      acknowledge(
        executor.role,
        wildcardResourceFinding(this, resource),
        'Object keys under runs/ are created at run time (run ids, action ids); they can only be written with "*" for the run and the action. runs/ is the only prefix the executor uses.',
      );
    }
    executor.fn.addEventSource(
      new SqsEventSource(actions, {
        batchSize: c.batchSize,
        maxConcurrency: c.executorConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    // ---------------------------------------------------------------- people's access
    // What the docs tell an admin to grant, as managed policies (attach them to your own
    // roles or permission sets) and as roles that carry them (assumable by this account's
    // principals that are allowed sts:AssumeRole on them).
    const stackKeyUse = new iam.PolicyStatement({ sid: 'UseTheStackKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.keyArn] });
    const operatorPolicy = new iam.ManagedPolicy(this, 'OperatorPolicy', {
      description: 'Offboard operators and approvers: upload rosters, approve held runs, ask for undos, read runs (offboard approve, status, undo, report)',
      statements: [
        new iam.PolicyStatement({ sid: 'UploadRostersApprovalsAndUndos', actions: ['s3:PutObject'], resources: OPERATOR_WRITES.map(objects) }),
        new iam.PolicyStatement({ sid: 'ReadRunsAndApprovals', actions: ['s3:GetObject'], resources: ['runs/', 'approvals/'].map(objects) }),
        new iam.PolicyStatement({ sid: 'ListDataBucket', actions: ['s3:ListBucket'], resources: [bucketArn] }),
        stackKeyUse,
      ],
    });
    const hrDropPolicy = new iam.ManagedPolicy(this, 'HrDropPolicy', {
      description: 'The HR system: drop termination files under hr/, nothing else',
      statements: [
        new iam.PolicyStatement({ sid: 'DropTerminationFiles', actions: ['s3:PutObject'], resources: [objects('hr/')] }),
        new iam.PolicyStatement({ sid: 'EncryptUploads', actions: ['kms:GenerateDataKey'], resources: [key.keyArn] }),
      ],
    });
    for (const [policy, prefixes] of [[operatorPolicy, [...OPERATOR_WRITES, 'runs/', 'approvals/']], [hrDropPolicy, ['hr/']]] as const) {
      for (const prefix of new Set(prefixes)) {
        acknowledge(policy, wildcardResourceFinding(this, objects(prefix)), `Object keys under ${prefix} are named by people and run ids at run time; a key prefix can only be written as "${prefix}*".`);
      }
    }
    const operatorRole = new iam.Role(this, 'OperatorRole', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: 'Offboard operators and approvers (OperatorPolicy): the only principal besides approverPrincipalArns that may write approvals/',
      managedPolicies: [operatorPolicy],
    });
    const hrDropRole = new iam.Role(this, 'HrDropRole', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: 'The HR system (HrDropPolicy): drops termination files under hr/',
      managedPolicies: [hrDropPolicy],
    });

    // Plans only the planner made: nobody but the function roles writes or deletes what
    // they write, and nobody but the approvers writes an approval, whatever their own IAM
    // policies allow. The executor checks the planner's signature besides (see PlanSigningKey).
    const denyWritesExceptBy = (sid: string, prefixes: string[], principals: string[]) =>
      bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: prefixes.map(objects),
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': principals } },
        }),
      );
    denyWritesExceptBy('OnlyTheFunctionsWriteRuns', ['runs/'], [planner.role.roleArn, executor.role.roleArn]);
    denyWritesExceptBy('OnlyThePlannerWritesBackupsAndSchedule', ['backups/', 'schedule/'], [planner.role.roleArn]);
    denyWritesExceptBy('OnlyApproversWriteApprovals', ['approvals/'], [operatorRole.roleArn, ...c.approverPrincipalArns]);

    // S3 → planner, for each trigger prefix. The permission exists before the bucket's
    // notification configuration, which S3 validates against it.
    const s3Invoke = new lambda.CfnPermission(this, 'PlannerInvokeFromDataBucket', {
      action: 'lambda:InvokeFunction',
      functionName: planner.fn.functionArn,
      principal: 's3.amazonaws.com',
      sourceArn: bucketArn,
      sourceAccount: Aws.ACCOUNT_ID,
    });
    const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.notificationConfiguration = {
      lambdaConfigurations: TRIGGER_PREFIXES.map((prefix) => ({
        event: 's3:ObjectCreated:*',
        function: planner.fn.functionArn,
        filter: { s3Key: { rules: [{ name: 'prefix', value: prefix }] } },
      })),
    };
    cfnBucket.addResourceDependency(s3Invoke, 'S3 validates the notification against the permission');

    // ---------------------------------------------------------------- sweep schedule
    const schedulerRole = new iam.Role(this, 'SweepSchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'Offboard: lets EventBridge Scheduler start the daily sweep (invoke the planner only)',
    });
    schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'InvokePlanner', actions: ['lambda:InvokeFunction'], resources: [planner.fn.functionArn] }),
    );
    schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'DeadLetterUndeliveredSweeps', actions: ['sqs:SendMessage'], resources: [plannerFailures.queueArn] }),
    );
    schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'EncryptDeadLetters', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.keyArn] }),
    );
    new scheduler.CfnSchedule(this, 'SweepSchedule', {
      description: `Offboard inactive-user sweep: ${c.sweepAction} licensed users with no sign-in for ${c.sweepInactiveDays} days`,
      scheduleExpression: c.sweepSchedule,
      scheduleExpressionTimezone: c.sweepTimezone,
      state: c.sweepEnabled ? 'ENABLED' : 'DISABLED',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: planner.fn.functionArn,
        roleArn: schedulerRole.roleArn,
        input: JSON.stringify({
          source: 'offboard.scheduler',
          'detail-type': 'Offboard Sweep',
          time: '<aws.scheduler.scheduled-time>',
          detail: { kind: 'sweep', inactive_days: c.sweepInactiveDays, action: c.sweepAction },
        }),
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: plannerFailures.queueArn },
      },
    });

    // ---------------------------------------------------------------- alarms
    const notify = new cwActions.SnsAction(topic);
    const alarm = (id: string, description: string, metric: cloudwatch.IMetric) => {
      const a = new cloudwatch.Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(notify);
      return a;
    };
    const fiveMinutes = Duration.minutes(5);
    alarm('ActionsDeadLetterAlarm', 'Offboard: an action message reached the dead-letter queue (unreadable, or failed on its last allowed receive)',
      actionsDlq.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }));
    alarm('PlannerFailuresAlarm', 'Offboard: the planner failed on an S3 or schedule event after retries',
      plannerFailures.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }));
    alarm('ExecutorErrorsAlarm', 'Offboard: the executor failed an invocation (a whole batch returned to the queue)',
      executor.fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }));
    alarm('ExecutorThrottlesAlarm', 'Offboard: the executor was throttled (reserved concurrency below the event source\'s maximum concurrency?)',
      executor.fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }));
    alarm('PlannerErrorsAlarm', 'Offboard: the planner failed an invocation',
      planner.fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }));

    // ---------------------------------------------------------------- outputs
    new CfnOutput(this, 'BucketName', { value: bucketName, description: 'Upload rosters to s3://BUCKET/inbox/, HR files to hr/, approvals to approvals/, undo requests to undo/' });
    new CfnOutput(this, 'ActionQueueUrl', { value: actions.queueUrl });
    new CfnOutput(this, 'ActionDeadLetterQueueUrl', { value: actionsDlq.queueUrl });
    new CfnOutput(this, 'NotificationTopicArn', { value: topic.topicArn });
    new CfnOutput(this, 'OperatorRoleArn', { value: operatorRole.roleArn, description: 'Assume it to run offboard approve, status, undo and report (or attach OperatorPolicy to your own role and list it in approverPrincipalArns)' });
    new CfnOutput(this, 'OperatorPolicyArn', { value: operatorPolicy.managedPolicyArn });
    new CfnOutput(this, 'HrDropRoleArn', { value: hrDropRole.roleArn, description: 'The HR system assumes it to drop termination files under hr/' });
    new CfnOutput(this, 'HrDropPolicyArn', { value: hrDropPolicy.managedPolicyArn });
    new CfnOutput(this, 'PlanSigningKeyArn', { value: planKey.keyArn });
    new CfnOutput(this, 'PlannerFunctionName', { value: planner.fn.functionName });
    new CfnOutput(this, 'ExecutorFunctionName', { value: executor.fn.functionName });
  }
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
