/**
 * Storage: where Offboard keeps what it holds, and who may write it. Owns the stack's
 * encryption key, the plan-signing key, the data bucket (rosters, HR files, backups,
 * plans, results, the watcher's list of runs: versioned and retained) with its access-log
 * bucket, the bucket's key layout (the prefixes and key patterns below, and who writes
 * which), and the bucket and key policies that admit only Offboard's own writers
 * (`restrictWritesTo`, once those writers exist).
 *
 * Its resources are added to the stack itself, not to a construct of its own, so their
 * logical IDs stay those of the deployed stack (see offboard-stack.ts).
 */
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge, skipCheckov } from './acknowledge';
import { bucketBaseName, OffboardConfig } from './config';

/**
 * Prefixes under which a new object starts a planner run: rosters, HR files, approvals of
 * held plans, undo requests (`undo/<run>.json`, from which the planner builds the undo run),
 * and cancels (`cancel/<name>.json`: a scheduled termination or staged delete taken off).
 */
export const TRIGGER_PREFIXES = ['inbox/', 'hr/', 'approvals/', 'undo/', 'cancel/'] as const;

/** Prefixes of the uploaded files a run plans from (the planner reads the version the event names). */
export const FILE_INPUT_PREFIXES = ['inbox/', 'hr/'] as const;

/** The policy object the planner reads over the deployment's settings. */
export const POLICY_KEY = 'config/policy.json';

/**
 * What the executor writes: a run's claims and results, and per batch a digest (the results
 * that batch recorded, read together by the watcher).
 */
export const EXECUTOR_WRITES = [
  'runs/*/claims/*',
  'runs/*/results/*',
  'runs/*/digests/*',
] as const;

/**
 * What the watcher writes: at a run's end its summary and report, the claims on publishing
 * its notification and the record that it was published, and the actions it deferred
 * (`deferred/<run>.json`, for the sweep to ask again); and the record of each stall it
 * announced (one per count of results).
 */
export const WATCHER_WRITES = [
  'runs/*/summary.json',
  'runs/*/report.csv',
  'runs/*/notify-claims/*',
  'runs/*/notified.json',
  'runs/*/stalled/*',
  'deferred/*',
] as const;

/**
 * The watcher's list of runs to watch: `watch/<run>.json`, written by the planner before it
 * sends a run's actions, deleted by the watcher once the run is finished.
 */
export const WATCH_PREFIX = 'watch/';

/**
 * The actions finished runs deferred (their users still hosted meetings): written by the
 * watcher (or the planner) when it finishes a run, read, rewritten and deleted by the sweep.
 */
export const DEFERRED_PREFIX = 'deferred/';

/** What operators upload: rosters, approvals of held runs, undo requests, cancels. */
export const OPERATOR_WRITES = ['inbox/', 'approvals/', 'undo/', 'cancel/'] as const;

export interface StorageProps {
  readonly config: Pick<OffboardConfig, 'bucketNamePrefix' | 'stage' | 'accessLogRetentionDays' | 'backupRetentionDays' | 'noncurrentVersionDays'>;
}

/** The principals the bucket and the plan-signing key admit as writers and signers. */
export interface DataWriters {
  /** Writes backups, runs, schedule/ and watch/, and is the only one to sign plans. */
  readonly plannerRole: iam.IRole;
  /** Writes under runs/ (claims, results, digests), with the planner and the watcher. */
  readonly executorRole: iam.IRole;
  /** Writes under runs/ (summaries, reports, notification and stall records) and deletes under watch/. */
  readonly watcherRole: iam.IRole;
  /** ARNs of the only principals that may write approvals/ and cancel/. */
  readonly approverArns: string[];
}

export class Storage {
  /** Encrypts the data bucket, the queues, the topic, the logs and the function environments. */
  public readonly key: kms.Key;
  /** The planner's HMAC key: it signs plans (GenerateMac), the planner and the executor check them (VerifyMac). */
  public readonly planSigningKey: kms.Key;
  public readonly accessLogBucket: s3.Bucket;
  public readonly dataBucket: s3.Bucket;
  /**
   * The data bucket's name and ARN, computed (`<prefix>-<account>-<region>`, with a stage
   * `<prefix>-<stage>-<account>-<region>`) rather than read
   * from the bucket resource: the bucket depends on the planner's invoke permission (S3 checks
   * it when the notification is created) while the planner's policy names the bucket, and
   * computed names keep that free of a dependency cycle and of a custom resource.
   */
  public readonly bucketName: string;
  public readonly bucketArn: string;

  constructor(scope: Stack, props: StorageProps) {
    const c = props.config;
    // The prefix, and the stage after it when there is one (the default stage: the prefix alone).
    const base = bucketBaseName(c);
    this.bucketName = `${base}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
    this.bucketArn = `arn:${Aws.PARTITION}:s3:::${this.bucketName}`;

    // One customer-managed key for the data Offboard holds (rosters, HR files, backups,
    // plans, results), its queues, topic, logs and function environments.
    const key = new kms.Key(scope, 'Key', {
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
    this.key = key;

    // The planner's signature on every plan it writes: an HMAC key that only the planner may
    // use to sign (GenerateMac) and both functions may use to check (VerifyMac). The executor
    // acts only on messages of a plan whose signature verifies, so an object or a message
    // written by anyone else with access to the bucket or the queue leads to no Zoom call.
    this.planSigningKey = new kms.Key(scope, 'PlanSigningKey', {
      description: 'Offboard: signs the plans the planner writes (HMAC); the executor acts only on signed plans',
      keySpec: kms.KeySpec.HMAC_256,
      keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    skipCheckov(this.planSigningKey, 'CKV_AWS_7', 'An HMAC KMS key cannot have automatic rotation (KMS rotates symmetric encryption keys only); it signs plans and encrypts nothing.');

    const accessLogs = new s3.Bucket(scope, 'AccessLogBucket', {
      bucketName: `${base}-logs-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
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
    this.accessLogBucket = accessLogs;

    this.dataBucket = new s3.Bucket(scope, 'DataBucket', {
      bucketName: this.bucketName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: `${base}/`,
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
  }

  /** The ARN of every data-bucket object under a key prefix (`<bucket ARN>/<prefix>*`). */
  public objectsUnder(prefix: string): string {
    return `${this.bucketArn}/${prefix}*`;
  }

  /** The ARN of one data-bucket object key, or of a key pattern written with its own `*`s. */
  public objectArn(key: string): string {
    return `${this.bucketArn}/${key}`;
  }

  /**
   * Plans only the planner made: nobody but the function roles writes or deletes what they
   * write (runs/: the three functions; backups/ and schedule/: the planner; watch/: the
   * planner and the watcher), nobody but the approvers writes an approval, and nobody but
   * the planner signs a plan, whatever their own IAM policies allow. The executor checks
   * the planner's signature besides (see planSigningKey).
   */
  public restrictWritesTo(writers: DataWriters): void {
    this.planSigningKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyThePlannerSignsPlans',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:GenerateMac'],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': writers.plannerRole.roleArn } },
      }),
    );
    const denyWritesExceptBy = (sid: string, prefixes: string[], principals: string[]) =>
      this.dataBucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: prefixes.map((prefix) => this.objectsUnder(prefix)),
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': principals } },
        }),
      );
    denyWritesExceptBy('OnlyTheFunctionsWriteRuns', ['runs/'], [writers.plannerRole.roleArn, writers.executorRole.roleArn, writers.watcherRole.roleArn]);
    denyWritesExceptBy('OnlyThePlannerWritesBackupsAndSchedule', ['backups/', 'schedule/'], [writers.plannerRole.roleArn]);
    // The planner writes a run's marker, the watcher deletes it once the run is finished.
    denyWritesExceptBy('OnlyThePlannerAndWatcherWriteWatch', [WATCH_PREFIX], [writers.plannerRole.roleArn, writers.watcherRole.roleArn]);
    // Whoever finishes a run records its deferred actions; the sweep takes them up.
    denyWritesExceptBy('OnlyThePlannerAndWatcherWriteDeferred', [DEFERRED_PREFIX], [writers.plannerRole.roleArn, writers.watcherRole.roleArn]);
    denyWritesExceptBy('OnlyApproversWriteApprovals', ['approvals/'], writers.approverArns);
    // A cancel stops an offboarding: the same people as approve one, and no one else.
    denyWritesExceptBy('OnlyApproversWriteCancels', ['cancel/'], writers.approverArns);
  }
}
