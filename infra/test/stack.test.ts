/**
 * What the stack deploys, one describe block per bullet of issue 7. Resources are found
 * by their properties (helpers.ts), never by logical id.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { codeSource, PLACEHOLDER_DIR } from '../lib/code';
import { TRIGGER_PREFIXES } from '../lib/storage';
import {
  Statement,
  actionQueue,
  actions,
  build,
  deadLetterQueueOf,
  flat,
  fn,
  FunctionName,
  granting,
  only,
  plannerFailureQueue,
  resourceList,
  resources,
  roleStatements,
  statementsOfRole,
  tempDir,
} from './helpers';

// Built once each: the defaults, and a stack with every parameter changed.
const defaults = build();
const custom = build({
  bucketNamePrefix: 'acme-offboard',
  zoomPlan: 'business',
  budgetShare: 0.25,
  executorConcurrency: 8,
  batchSize: 4,
  maxReceiveCount: 7,
  sweepSchedule: 'cron(30 2 ? * MON-FRI *)',
  sweepTimezone: 'Europe/Paris',
  sweepEnabled: false,
  sweepInactiveDays: 60,
  sweepAction: 'deactivate',
  maxDestructiveActions: 10,
  maxDestructiveShare: 0.02,
  allowedDomains: 'example.com,example.org',
  zoomAccountIdParam: '/acme/zoom/account',
  zoomClientIdParam: '/acme/zoom/id',
  zoomClientSecretParam: '/acme/zoom/secret',
  completionEmail: 'hr-ops@example.com',
  ssmKmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  notificationEmail: 'it-ops@example.com',
  backupRetentionDays: 30,
  noncurrentVersionDays: 7,
  executorTimeoutSeconds: 120,
  executorMemoryMb: 512,
  stallAfterMinutes: 30,
  approverPrincipalArns: 'arn:aws:iam::111122223333:role/AWSReservedSSO_Approvers_0123',
  zoomApiUrl: 'https://zoom-sim.example.com/v2',
  zoomOauthUrl: 'https://zoom-sim.example.com/oauth/token',
});
const t = defaults.template;

/** The stack's encryption key (the other key is the HMAC plan-signing key). */
const stackKey = (template = t) => only(template, 'AWS::KMS::Key', 'the stack key', (r) => r.Properties.KeySpec === undefined);
const planKey = (template = t) => only(template, 'AWS::KMS::Key', 'the plan-signing key', (r) => r.Properties.KeySpec === 'HMAC_256');

const dataBucket = (template = t) =>
  only(template, 'AWS::S3::Bucket', 'the data bucket', (r) => r.Properties.NotificationConfiguration !== undefined);
const logBucket = (template = t) =>
  only(template, 'AWS::S3::Bucket', 'the access log bucket', (r) => r.Properties.NotificationConfiguration === undefined);

function denyInsecureTransport(statements: Statement[]): boolean {
  return statements.some(
    (s) => s.Effect === 'Deny' && JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
  );
}

describe('parameters', () => {
  it('names the buckets from the prefix, the account and the region', () => {
    assert.equal(flat(dataBucket(custom.template)[1].Properties.BucketName), 'acme-offboard-<AWS::AccountId>-<AWS::Region>');
    assert.equal(flat(logBucket(custom.template)[1].Properties.BucketName), 'acme-offboard-logs-<AWS::AccountId>-<AWS::Region>');
  });

  it('hands the Zoom plan, budget share, concurrency and guardrails to the functions', () => {
    const [, planner] = fn(custom.template, 'planner');
    const [, executor] = fn(custom.template, 'executor');
    const pv = planner.Properties.Environment.Variables;
    const ev = executor.Properties.Environment.Variables;
    for (const v of [pv, ev]) {
      assert.equal(v.ZOOM_PLAN, 'business');
      assert.equal(v.OFFBOARD_BUDGET_SHARE, '0.25');
      assert.equal(v.OFFBOARD_EXECUTOR_CONCURRENCY, '8');
      assert.equal(v.ZOOM_API_URL, 'https://zoom-sim.example.com/v2');
      assert.equal(v.ZOOM_OAUTH_URL, 'https://zoom-sim.example.com/oauth/token');
    }
    assert.equal(pv.OFFBOARD_MAX_DESTRUCTIVE_ACTIONS, '10');
    assert.equal(pv.OFFBOARD_MAX_DESTRUCTIVE_SHARE, '0.02');
    assert.equal(pv.OFFBOARD_ALLOWED_DOMAINS, 'example.com,example.org');
    assert.equal(pv.OFFBOARD_SWEEP_INACTIVE_DAYS, '60');
    assert.equal(pv.OFFBOARD_SWEEP_ACTION, 'deactivate');
  });

  it('names the SSM parameters in both functions\' environment', () => {
    for (const name of ['planner', 'executor'] as const) {
      const v = fn(custom.template, name)[1].Properties.Environment.Variables;
      assert.equal(v.ZOOM_ACCOUNT_ID_PARAM, '/acme/zoom/account');
      assert.equal(v.ZOOM_CLIENT_ID_PARAM, '/acme/zoom/id');
      assert.equal(v.ZOOM_CLIENT_SECRET_PARAM, '/acme/zoom/secret');
    }
  });

  it('hands the executor its receive limit, visibility timeout and claim TTL, from the same values as the queue and the function', () => {
    for (const [template, receives, visibility, ttl] of [
      [t, '5', '360', '60'],
      [custom.template, '7', '720', '120'],
    ] as const) {
      const [, executor] = fn(template, 'executor');
      const [, queue] = actionQueue(template);
      const ev = executor.Properties.Environment.Variables;
      assert.equal(ev.OFFBOARD_MAX_RECEIVE_COUNT, receives);
      assert.equal(ev.OFFBOARD_MAX_RECEIVE_COUNT, String(queue.Properties.RedrivePolicy.maxReceiveCount), 'the redrive policy\'s count');
      assert.equal(ev.OFFBOARD_VISIBILITY_TIMEOUT_SECONDS, visibility);
      assert.equal(ev.OFFBOARD_VISIBILITY_TIMEOUT_SECONDS, String(queue.Properties.VisibilityTimeout), 'the queue\'s visibility timeout');
      assert.equal(ev.OFFBOARD_CLAIM_TTL_SECONDS, ttl);
      assert.equal(ev.OFFBOARD_CLAIM_TTL_SECONDS, String(executor.Properties.Timeout), 'the function timeout');
    }
  });

  it('leaves Zoom\'s own endpoints as the default', () => {
    const v = fn(t, 'executor')[1].Properties.Environment.Variables;
    assert.equal(v.ZOOM_API_URL, undefined);
    assert.equal(v.ZOOM_OAUTH_URL, undefined);
  });
});

describe('bucket', () => {
  it('is encrypted with the stack\'s KMS key, bucket keys on', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: Match.anyValue(),
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
          }),
        ],
      },
    });
    const [, key] = stackKey(t);
    assert.equal(key.Properties.EnableKeyRotation, true);
  });

  it('is versioned, blocks public access and enforces bucket-owner ownership', () => {
    const [, b] = dataBucket();
    assert.deepEqual(b.Properties.VersioningConfiguration, { Status: 'Enabled' });
    assert.deepEqual(b.Properties.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    assert.deepEqual(b.Properties.OwnershipControls, { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  });

  it('refuses requests without TLS (and below TLS 1.2)', () => {
    const [id] = dataBucket();
    const [, policy] = only(t, 'AWS::S3::BucketPolicy', 'the data bucket policy', (r) => r.Properties.Bucket.Ref === id);
    const statements: Statement[] = policy.Properties.PolicyDocument.Statement;
    assert.ok(denyInsecureTransport(statements), 'a Deny on aws:SecureTransport=false');
    assert.ok(statements.some((s) => s.Effect === 'Deny' && s.Condition?.NumericLessThan?.['s3:TlsVersion'] === 1.2));
  });

  it('sends server access logs to a private, TLS-only log bucket', () => {
    const [logId, logs] = logBucket();
    const [, b] = dataBucket();
    assert.deepEqual(b.Properties.LoggingConfiguration, { DestinationBucketName: { Ref: logId }, LogFilePrefix: 'offboard/' });
    assert.equal(logs.Properties.PublicAccessBlockConfiguration.RestrictPublicBuckets, true);
    const [, policy] = only(t, 'AWS::S3::BucketPolicy', 'the log bucket policy', (r) => r.Properties.Bucket.Ref === logId);
    const statements: Statement[] = policy.Properties.PolicyDocument.Statement;
    assert.ok(denyInsecureTransport(statements));
    assert.ok(statements.some((s) => s.Effect === 'Allow' && JSON.stringify(s).includes('logging.s3.amazonaws.com')));
  });

  it('keeps backups the configured number of days and expires noncurrent versions', () => {
    for (const [template, backupDays, noncurrentDays] of [
      [t, 180, 30],
      [custom.template, 30, 7],
    ] as const) {
      const rules: any[] = dataBucket(template)[1].Properties.LifecycleConfiguration.Rules;
      assert.ok(rules.some((r) => r.Status === 'Enabled' && r.Prefix === 'backups/' && r.ExpirationInDays === backupDays), 'backups/ expire');
      assert.ok(
        rules.some((r) => r.Status === 'Enabled' && r.Prefix === undefined && r.NoncurrentVersionExpiration?.NoncurrentDays === noncurrentDays),
        'noncurrent versions expire bucket-wide',
      );
      assert.ok(!rules.some((r) => r.Prefix === undefined && r.ExpirationInDays !== undefined), 'no rule expires current objects outside backups/');
    }
  });

  it('notifies the planner of new objects under inbox/, hr/, approvals/, undo/ and cancel/', () => {
    const [plannerId] = fn(t, 'planner');
    const configs: any[] = dataBucket()[1].Properties.NotificationConfiguration.LambdaConfigurations;
    const prefixes = configs.map((c) => {
      assert.equal(c.Event, 's3:ObjectCreated:*');
      assert.deepEqual(c.Function, { 'Fn::GetAtt': [plannerId, 'Arn'] });
      return c.Filter.S3Key.Rules.find((r: any) => r.Name === 'prefix').Value;
    });
    assert.deepEqual(prefixes.sort(), ['approvals/', 'cancel/', 'hr/', 'inbox/', 'undo/']);
    assert.deepEqual(prefixes.sort(), [...TRIGGER_PREFIXES].sort(), 'one notification per trigger prefix');
  });

  it('lets S3 invoke the planner for this bucket and account only, before the notification exists', () => {
    const [plannerId] = fn(t, 'planner');
    const [permissionId, permission] = only(t, 'AWS::Lambda::Permission', 'S3\'s invoke permission', (r) => r.Properties.Principal === 's3.amazonaws.com');
    assert.deepEqual(permission.Properties.FunctionName, { 'Fn::GetAtt': [plannerId, 'Arn'] });
    assert.equal(flat(permission.Properties.SourceArn), 'arn:<AWS::Partition>:s3:::offboard-<AWS::AccountId>-<AWS::Region>');
    assert.deepEqual(permission.Properties.SourceAccount, { Ref: 'AWS::AccountId' });
    const [bucketId] = dataBucket();
    assert.ok((t.toJSON().Resources[bucketId].DependsOn ?? []).includes(permissionId));
  });
});

describe('functions', () => {
  for (const [name, memory, timeout] of [
    ['planner', 1024, 900],
    ['executor', 256, 60],
    ['watcher', 256, 60],
  ] as const) {
    it(`${name}: provided.al2023 on arm64, ${memory} MB, ${timeout} s, traced, encrypted environment`, () => {
      const [, f] = fn(t, name);
      assert.equal(f.Properties.Runtime, 'provided.al2023');
      assert.deepEqual(f.Properties.Architectures, ['arm64']);
      assert.equal(f.Properties.Handler, 'bootstrap');
      assert.equal(f.Properties.MemorySize, memory);
      assert.equal(f.Properties.Timeout, timeout);
      assert.deepEqual(f.Properties.TracingConfig, { Mode: 'Active' });
      assert.ok(f.Properties.KmsKeyArn, 'environment encrypted with the stack key');
    });

    it(`${name}: logs to its own encrypted log group with a retention`, () => {
      const [, f] = fn(t, name);
      const groupId = f.Properties.LoggingConfig.LogGroup.Ref;
      const group = t.toJSON().Resources[groupId];
      assert.equal(group.Type, 'AWS::Logs::LogGroup');
      assert.equal(group.Properties.RetentionInDays, 365);
      assert.ok(group.Properties.KmsKeyId);
    });
  }

  it('the planner knows the bucket and the action queue; the executor the bucket, the action queue and its DLQ', () => {
    const [queueId, queue] = actionQueue(t);
    const [dlqId] = deadLetterQueueOf(t, queue);
    const pv = fn(t, 'planner')[1].Properties.Environment.Variables;
    const ev = fn(t, 'executor')[1].Properties.Environment.Variables;
    assert.deepEqual(pv.OFFBOARD_QUEUE_URL, { Ref: queueId });
    assert.equal(flat(pv.OFFBOARD_BUCKET), 'offboard-<AWS::AccountId>-<AWS::Region>');
    assert.equal(flat(ev.OFFBOARD_BUCKET), 'offboard-<AWS::AccountId>-<AWS::Region>');
    assert.deepEqual(ev.OFFBOARD_QUEUE_URL, { Ref: queueId });
    assert.deepEqual(ev.OFFBOARD_DLQ_URL, { Ref: dlqId });
  });

  it('the dead-lettering, visibility and ledger settings are the executor\'s only', () => {
    const pv = fn(t, 'planner')[1].Properties.Environment.Variables;
    for (const name of ['OFFBOARD_DLQ_URL', 'OFFBOARD_MAX_RECEIVE_COUNT', 'OFFBOARD_VISIBILITY_TIMEOUT_SECONDS', 'OFFBOARD_CLAIM_TTL_SECONDS']) {
      assert.equal(pv[name], undefined, `planner: no ${name}`);
    }
  });

  it('the planner sends failed asynchronous events (S3, schedule) to an encrypted failure queue', () => {
    const [, q] = plannerFailureQueue(t);
    assert.ok(q.Properties.KmsMasterKeyId);
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2, Qualifier: '$LATEST' });
  });
});

describe('function code', () => {
  const dir = tempDir('offboard-zips-');
  fs.mkdirSync(path.join(dir, 'planner'));
  fs.writeFileSync(path.join(dir, 'planner', 'bootstrap.zip'), 'not really a zip');

  it('uses target/lambda/<bin>/bootstrap.zip from cargo lambda build when it exists', () => {
    assert.deepEqual(codeSource(dir, 'planner', false), { kind: 'zip', path: path.join(dir, 'planner', 'bootstrap.zip') });
    assert.deepEqual(codeSource(dir, 'planner', true), { kind: 'zip', path: path.join(dir, 'planner', 'bootstrap.zip') });
  });

  it('refuses to synthesize without the zip unless placeholder code is asked for', () => {
    assert.throws(() => codeSource(dir, 'executor', false), /cargo lambda build --release --arm64 --output-format zip/);
    assert.deepEqual(codeSource(dir, 'executor', true), { kind: 'placeholder', path: PLACEHOLDER_DIR });
    assert.ok(fs.existsSync(path.join(PLACEHOLDER_DIR, 'bootstrap')));
  });

  it('a stack without zips and without placeholderCode fails at synth with the build command', () => {
    assert.throws(() => build({ placeholderCode: false }), /bootstrap\.zip does not exist/);
  });
});

describe('queue', () => {
  const [queueId, queue] = actionQueue(t);
  const [dlqId, dlq] = deadLetterQueueOf(t, queue);

  it('the action queue and its DLQ are encrypted with KMS', () => {
    assert.ok(queue.Properties.KmsMasterKeyId);
    assert.ok(dlq.Properties.KmsMasterKeyId);
    assert.equal(dlq.Properties.MessageRetentionPeriod, 14 * 24 * 3600);
  });

  it('the action queue and its DLQ refuse requests without TLS', () => {
    for (const id of [queueId, dlqId]) {
      const [, policy] = only(t, 'AWS::SQS::QueuePolicy', `the policy of ${id}`, (r) =>
        r.Properties.Queues.some((q: any) => q.Ref === id),
      );
      assert.ok(denyInsecureTransport(policy.Properties.PolicyDocument.Statement));
    }
  });

  it('redrives to the DLQ after maxReceiveCount >= 5 receives', () => {
    assert.ok(queue.Properties.RedrivePolicy.maxReceiveCount >= 5);
    assert.equal(queue.Properties.RedrivePolicy.maxReceiveCount, 5);
    assert.equal(actionQueue(custom.template)[1].Properties.RedrivePolicy.maxReceiveCount, 7);
  });

  it('hides a message for at least 6 x the executor timeout', () => {
    for (const template of [t, custom.template]) {
      const timeout = fn(template, 'executor')[1].Properties.Timeout;
      const visibility = actionQueue(template)[1].Properties.VisibilityTimeout;
      assert.ok(visibility >= 6 * timeout, `${visibility} >= 6 x ${timeout}`);
    }
    assert.equal(actionQueue(custom.template)[1].Properties.VisibilityTimeout, 720);
  });
});

describe('executor event source', () => {
  for (const [label, template, batch, n] of [
    ['defaults', t, 10, 5],
    ['configured', custom.template, 4, 8],
  ] as const) {
    it(`${label}: batch size ${batch}, maximum concurrency ${n}, partial batch failures; reserved concurrency >= ${n}`, () => {
      const [queueId] = actionQueue(template);
      const [executorId, executor] = fn(template, 'executor');
      const [, mapping] = only(template, 'AWS::Lambda::EventSourceMapping', 'the action queue mapping', (r) =>
        JSON.stringify(r.Properties.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [queueId, 'Arn'] }),
      );
      assert.deepEqual(mapping.Properties.FunctionName, { Ref: executorId });
      assert.equal(mapping.Properties.BatchSize, batch);
      assert.deepEqual(mapping.Properties.ScalingConfig, { MaximumConcurrency: n });
      assert.deepEqual(mapping.Properties.FunctionResponseTypes, ['ReportBatchItemFailures']);
      assert.ok(executor.Properties.ReservedConcurrentExecutions >= n);
    });
  }

  it('only the executor consumes the action queue', () => {
    assert.equal(resources(t, 'AWS::Lambda::EventSourceMapping').length, 1);
  });
});

/** The schedule whose description starts so ("Offboard inactive-user sweep", "Offboard watcher"). */
const schedule = (template: typeof t, start: string) =>
  only(template, 'AWS::Scheduler::Schedule', start, (r) => String(r.Properties.Description ?? '').startsWith(start));

describe('sweep schedule', () => {
  it('an EventBridge Scheduler schedule invokes the planner daily by default', () => {
    const [plannerId] = fn(t, 'planner');
    const [, s] = schedule(t, 'Offboard inactive-user sweep');
    assert.equal(s.Properties.ScheduleExpression, 'cron(0 6 * * ? *)');
    assert.equal(s.Properties.ScheduleExpressionTimezone, 'UTC');
    assert.equal(s.Properties.State, 'ENABLED');
    assert.deepEqual(s.Properties.Target.Arn, { 'Fn::GetAtt': [plannerId, 'Arn'] });
    const input = JSON.parse(s.Properties.Target.Input);
    assert.deepEqual(input.detail, { kind: 'sweep', inactive_days: 90, action: 'downgrade' });
    assert.ok(s.Properties.Target.DeadLetterConfig.Arn);
  });

  it('follows the configured expression, time zone, state and sweep', () => {
    const [, s] = schedule(custom.template, 'Offboard inactive-user sweep');
    assert.equal(s.Properties.ScheduleExpression, 'cron(30 2 ? * MON-FRI *)');
    assert.equal(s.Properties.ScheduleExpressionTimezone, 'Europe/Paris');
    assert.equal(s.Properties.State, 'DISABLED');
    assert.deepEqual(JSON.parse(s.Properties.Target.Input).detail, { kind: 'sweep', inactive_days: 60, action: 'deactivate' });
  });

  it('the scheduler\'s role may invoke the planner and dead-letter to its failure queue, nothing else', () => {
    const [plannerId] = fn(t, 'planner');
    const [failureId] = plannerFailureQueue(t);
    const [, s] = schedule(t, 'Offboard inactive-user sweep');
    const statements = statementsOfRole(t, s.Properties.Target.RoleArn['Fn::GetAtt'][0]);
    const invoke = granting(statements, 'lambda:InvokeFunction');
    assert.equal(invoke.length, 1);
    assert.deepEqual(resourceList(invoke[0]), [{ 'Fn::GetAtt': [plannerId, 'Arn'] }]);
    const send = granting(statements, 'sqs:SendMessage');
    assert.deepEqual(send.flatMap(resourceList), [{ 'Fn::GetAtt': [failureId, 'Arn'] }]);
  });
});

describe('watcher', () => {
  it('a schedule invokes the watcher once a minute with a watch event, and its role may do only that', () => {
    const [watcherId, watcher] = fn(t, 'watcher');
    const [, s] = schedule(t, 'Offboard watcher');
    assert.equal(s.Properties.ScheduleExpression, 'rate(1 minute)');
    assert.equal(s.Properties.State, 'ENABLED');
    assert.deepEqual(s.Properties.Target.Arn, { 'Fn::GetAtt': [watcherId, 'Arn'] });
    const input = JSON.parse(s.Properties.Target.Input);
    assert.equal(input['detail-type'], 'Offboard Watch');
    assert.equal(input.time, '<aws.scheduler.scheduled-time>');
    const statements = statementsOfRole(t, s.Properties.Target.RoleArn['Fn::GetAtt'][0]);
    assert.deepEqual(statements.flatMap(actions), ['lambda:InvokeFunction']);
    assert.deepEqual(statements.flatMap(resourceList), [{ 'Fn::GetAtt': [watcherId, 'Arn'] }]);
    // One look at a time, within its minute.
    assert.equal(watcher.Properties.ReservedConcurrentExecutions, 1);
    assert.equal(watcher.Properties.Timeout, 60);
  });

  it('knows the bucket, the topic, the stall time (minutes × 60) and its claim TTL (its timeout); no Zoom setting', () => {
    for (const [template, minutes] of [[t, 15], [custom.template, 30]] as const) {
      const [, watcher] = fn(template, 'watcher');
      const ev = watcher.Properties.Environment.Variables;
      assert.equal(ev.OFFBOARD_STALL_AFTER_SECONDS, String(minutes * 60));
      assert.equal(ev.OFFBOARD_CLAIM_TTL_SECONDS, String(watcher.Properties.Timeout));
      assert.ok(ev.OFFBOARD_BUCKET && ev.OFFBOARD_TOPIC_ARN);
      assert.deepEqual(Object.keys(ev).filter((k) => k.startsWith('ZOOM_')), []);
      assert.ok(roleStatements(template, 'watcher').every((st) => actions(st).every((a) => !a.startsWith('ssm:'))), 'no Parameter Store');
    }
  });
});

describe('notifications and alarms', () => {
  it('an encrypted, TLS-only SNS topic; the planner and the watcher know it', () => {
    const [topicId, topic] = only(t, 'AWS::SNS::Topic', 'the topic', () => true);
    assert.ok(topic.Properties.KmsMasterKeyId);
    const [, policy] = only(t, 'AWS::SNS::TopicPolicy', 'the topic policy', (r) => r.Properties.Topics.some((x: any) => x.Ref === topicId));
    assert.ok(denyInsecureTransport(policy.Properties.PolicyDocument.Statement));
    for (const name of ['planner', 'watcher'] as const) {
      assert.deepEqual(fn(t, name)[1].Properties.Environment.Variables.OFFBOARD_TOPIC_ARN, { Ref: topicId });
    }
    assert.equal(fn(t, 'executor')[1].Properties.Environment.Variables.OFFBOARD_TOPIC_ARN, undefined, 'the executor publishes nothing');
  });

  it('subscribes the notification email to everything and the completion email to completed runs only', () => {
    t.resourceCountIs('AWS::SNS::Subscription', 0);
    const subscriptions = resources(custom.template, 'AWS::SNS::Subscription').map(([, s]) => s.Properties);
    assert.equal(subscriptions.length, 2);
    const everything = subscriptions.find((s) => s.Endpoint === 'it-ops@example.com');
    assert.equal(everything?.Protocol, 'email');
    assert.equal(everything?.FilterPolicy, undefined, 'the admins hear of everything');
    const completions = subscriptions.find((s) => s.Endpoint === 'hr-ops@example.com');
    assert.equal(completions?.Protocol, 'email');
    assert.deepEqual(completions?.FilterPolicy, { event: ['run_completed'] }, 'HR hears of completed runs only');
  });

  const alarmsOn = (metric: string, dimension: Record<string, unknown>) =>
    resources(t, 'AWS::CloudWatch::Alarm').filter(
      ([, a]) => a.Properties.MetricName === metric && JSON.stringify(a.Properties.Dimensions).includes(JSON.stringify(dimension)),
    );
  const [topicId] = only(t, 'AWS::SNS::Topic', 'the topic', () => true);
  const assertAlarm = (found: [string, any][], what: string) => {
    assert.equal(found.length, 1, what);
    const a = found[0][1].Properties;
    assert.equal(a.ComparisonOperator, 'GreaterThanThreshold');
    assert.equal(a.Threshold, 0);
    assert.deepEqual(a.AlarmActions, [{ Ref: topicId }]);
  };

  it('alarms when the action DLQ holds any message', () => {
    const [, queue] = actionQueue(t);
    const [dlqId] = deadLetterQueueOf(t, queue);
    const found = alarmsOn('ApproximateNumberOfMessagesVisible', { Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } });
    assertAlarm(found, 'a DLQ depth alarm');
    assert.equal(found[0][1].Properties.Namespace, 'AWS/SQS');
  });

  it('alarms on executor errors and on executor throttles', () => {
    const [executorId] = fn(t, 'executor');
    assertAlarm(alarmsOn('Errors', { Name: 'FunctionName', Value: { Ref: executorId } }), 'an executor errors alarm');
    assertAlarm(alarmsOn('Throttles', { Name: 'FunctionName', Value: { Ref: executorId } }), 'an executor throttles alarm');
  });

  it('alarms on planner errors and on planner events that failed after retries', () => {
    const [plannerId] = fn(t, 'planner');
    const [failureId] = plannerFailureQueue(t);
    assertAlarm(alarmsOn('Errors', { Name: 'FunctionName', Value: { Ref: plannerId } }), 'a planner errors alarm');
    assertAlarm(
      alarmsOn('ApproximateNumberOfMessagesVisible', { Name: 'QueueName', Value: { 'Fn::GetAtt': [failureId, 'QueueName'] } }),
      'a planner failure queue alarm',
    );
  });

  it('alarms on a stalled run (the watcher\'s RunsStalled) and on the watcher\'s errors', () => {
    assertAlarm(alarmsOn('RunsStalled', { Name: 'Function', Value: 'watcher' }), 'a stalled-run alarm');
    const stalled = alarmsOn('RunsStalled', { Name: 'Function', Value: 'watcher' })[0][1].Properties;
    assert.equal(stalled.Namespace, 'Offboard');
    assert.equal(stalled.Statistic, 'Sum');
    const [watcherId] = fn(t, 'watcher');
    const errors = resources(t, 'AWS::CloudWatch::Alarm').filter(([, a]) => JSON.stringify(a.Properties.Metrics ?? []).includes(watcherId));
    assertAlarm(errors, 'a watcher errors alarm');
    const metrics = JSON.stringify(errors[0][1].Properties.Metrics);
    assert.ok(metrics.includes('"MetricName":"Errors"') && metrics.includes('"MetricName":"WatchErrors"'), 'function errors and runs it could not look at');
  });

  it('CloudWatch may use the key, so alarms can publish to the encrypted topic', () => {
    const [, key] = stackKey(t);
    const statements: Statement[] = key.Properties.KeyPolicy.Statement;
    assert.ok(statements.some((s) => JSON.stringify(s.Principal ?? {}).includes('cloudwatch.amazonaws.com') && actions(s).includes('kms:GenerateDataKey')));
  });
});

describe('IAM, least privilege', () => {
  const objectArn = (prefix: string) => `arn:<AWS::Partition>:s3:::offboard-<AWS::AccountId>-<AWS::Region>/${prefix}*`;
  const bucketArn = 'arn:<AWS::Partition>:s3:::offboard-<AWS::AccountId>-<AWS::Region>';
  const paramArns = (names: string[]) => names.map((n) => `arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter${n}`);
  const defaultParams = paramArns(['/offboard/zoom/account_id', '/offboard/zoom/client_id', '/offboard/zoom/client_secret']);

  /** Every (action, resource) pair a function's role is allowed. */
  const grants = (template: typeof t, name: FunctionName) =>
    roleStatements(template, name)
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => actions(s).flatMap((a) => resourceList(s).map((r) => ({ action: a, resource: flat(r), statement: s }))));

  it('no AWS-managed policy and no inline admin: roles carry only the stack\'s own statements', () => {
    const own = new Set(resources(t, 'AWS::IAM::ManagedPolicy').map(([id]) => id));
    for (const [, role] of resources(t, 'AWS::IAM::Role')) {
      for (const arn of role.Properties.ManagedPolicyArns ?? []) assert.ok(own.has(arn.Ref), `only the stack's own managed policies (${flat(arn)})`);
    }
    for (const name of ['planner', 'executor', 'watcher'] as const) {
      for (const g of grants(t, name)) {
        assert.ok(!g.action.includes('*'), `${name}: no wildcard action (${g.action})`);
      }
    }
  });

  it('"*" resources only for X-Ray, which has no resource-level permissions', () => {
    for (const name of ['planner', 'executor', 'watcher'] as const) {
      const star = grants(t, name).filter((g) => g.resource === '*');
      assert.deepEqual([...new Set(star.map((g) => g.action))].sort(), ['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
    for (const [, scheduler] of resources(t, 'AWS::Scheduler::Schedule')) {
      const schedulerStatements = statementsOfRole(t, scheduler.Properties.Target.RoleArn['Fn::GetAtt'][0]);
      assert.ok(schedulerStatements.every((s) => resourceList(s).every((r) => flat(r) !== '*')));
    }
  });

  it('ssm:GetParameter(s) on the three named parameters only', () => {
    for (const [template, params] of [
      [t, defaultParams],
      [custom.template, paramArns(['/acme/zoom/account', '/acme/zoom/id', '/acme/zoom/secret'])],
    ] as const) {
      for (const name of ['planner', 'executor'] as const) {
        const ssm = grants(template, name).filter((g) => g.action.startsWith('ssm:'));
        assert.deepEqual([...new Set(ssm.map((g) => g.action))].sort(), ['ssm:GetParameter', 'ssm:GetParameters']);
        assert.deepEqual([...new Set(ssm.map((g) => g.resource))].sort(), [...params].sort());
      }
    }
  });

  it('kms:Decrypt for the parameters: through SSM, for those parameters, on the named key when one is given', () => {
    for (const name of ['planner', 'executor'] as const) {
      const byDefault = granting(roleStatements(t, name), 'kms:Decrypt').filter((s) => s.Condition?.StringEquals?.['kms:ViaService']);
      assert.equal(byDefault.length, 1);
      assert.equal(flat(byDefault[0].Condition!.StringEquals['kms:ViaService']), 'ssm.<AWS::Region>.amazonaws.com');
      assert.deepEqual(byDefault[0].Condition!.StringEquals['kms:EncryptionContext:PARAMETER_ARN'].map(flat), defaultParams);
      assert.deepEqual(resourceList(byDefault[0]).map(flat), ['arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*']);

      const named = granting(roleStatements(custom.template, name), 'kms:Decrypt').filter((s) => s.Condition?.StringEquals?.['kms:ViaService']);
      assert.equal(named.length, 1);
      assert.deepEqual(resourceList(named[0]), ['arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab']);
    }
  });

  it('every other KMS grant is on the stack\'s own key, or is a signature on the plan-signing key', () => {
    const [keyId] = stackKey(t);
    const [planKeyId] = planKey(t);
    for (const name of ['planner', 'executor', 'watcher'] as const) {
      const other = grants(t, name).filter((g) => g.action.startsWith('kms:') && !g.statement.Condition?.StringEquals?.['kms:ViaService']);
      const onStackKey = other.filter((g) => g.resource === `<${keyId}.Arn>`);
      assert.deepEqual([...new Set(onStackKey.map((g) => g.action))].sort(), ['kms:Decrypt', 'kms:GenerateDataKey']);
      const signing = other.filter((g) => g.resource === `<${planKeyId}.Arn>`).map((g) => g.action).sort();
      assert.deepEqual(signing, { planner: ['kms:GenerateMac', 'kms:VerifyMac'], executor: ['kms:VerifyMac'], watcher: [] }[name]);
      assert.equal(other.length, onStackKey.length + signing.length, `${name}: no KMS grant on another key`);
    }
  });

  it('plans are signed with an HMAC key that only the planner may sign with, whatever IAM allows others', () => {
    const [planKeyId, key] = planKey(t);
    assert.equal(key.Properties.KeyUsage, 'GENERATE_VERIFY_MAC');
    for (const name of ['planner', 'executor'] as const) {
      assert.deepEqual(fn(t, name)[1].Properties.Environment.Variables.OFFBOARD_PLAN_KEY_ID, { 'Fn::GetAtt': [planKeyId, 'Arn'] });
    }
    const plannerRole = fn(t, 'planner')[1].Properties.Role['Fn::GetAtt'][0];
    const deny = (key.Properties.KeyPolicy.Statement as Statement[]).filter((s) => s.Effect === 'Deny');
    assert.equal(deny.length, 1);
    assert.deepEqual(actions(deny[0]), ['kms:GenerateMac']);
    assert.deepEqual(deny[0].Principal, { AWS: '*' });
    assert.deepEqual(deny[0].Condition, { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [plannerRole, 'Arn'] } } });
  });

  it('S3: the planner reads inbox/, hr/ (the version an event names), approvals/, undo/, cancel/, runs/, schedule/, deferred/ and the policy; writes backups/, runs/, schedule/, deferred/, watch/; deletes schedule/ and deferred/ only', () => {
    const s3 = grants(t, 'planner').filter((g) => g.action.startsWith('s3:'));
    const on = (action: string) => s3.filter((g) => g.action === action).map((g) => g.resource).sort();
    assert.deepEqual(
      on('s3:GetObject'),
      [...['approvals/', 'cancel/', 'deferred/', 'hr/', 'inbox/', 'runs/', 'schedule/', 'undo/'].map(objectArn), `${bucketArn}/config/policy.json`].sort(),
    );
    assert.deepEqual(on('s3:PutObject'), ['backups/', 'deferred/', 'runs/', 'schedule/', 'watch/'].map(objectArn).sort());
    assert.deepEqual(on('s3:GetObjectVersion'), ['hr/', 'inbox/'].map(objectArn));
    assert.deepEqual(on('s3:DeleteObject'), [objectArn('deferred/'), objectArn('schedule/')]);
    assert.deepEqual(on('s3:ListBucket'), [bucketArn]);
    assert.deepEqual(
      [...new Set(s3.map((g) => g.action))].sort(),
      ['s3:DeleteObject', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:PutObject'],
    );
  });

  it('S3: the executor reads runs/ and writes only claims, results and digests: never a summary', () => {
    const s3 = grants(t, 'executor').filter((g) => g.action.startsWith('s3:'));
    const on = (action: string) => s3.filter((g) => g.action === action).map((g) => g.resource).sort();
    assert.deepEqual(on('s3:GetObject'), [objectArn('runs/')]);
    assert.deepEqual(on('s3:PutObject'), ['runs/*/claims/*', 'runs/*/digests/*', 'runs/*/results/*'].map((k) => `${bucketArn}/${k}`));
    assert.deepEqual(on('s3:ListBucket'), [bucketArn]);
    assert.deepEqual([...new Set(s3.map((g) => g.action))].sort(), ['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
  });

  it('S3: the watcher reads runs/ and watch/, writes only summaries, reports, notification and stall records and deferred actions, deletes only under watch/', () => {
    const s3 = grants(t, 'watcher').filter((g) => g.action.startsWith('s3:'));
    const on = (action: string) => s3.filter((g) => g.action === action).map((g) => g.resource).sort();
    assert.deepEqual(on('s3:GetObject'), [objectArn('runs/'), objectArn('watch/')]);
    assert.deepEqual(
      on('s3:PutObject'),
      ['deferred/*', 'runs/*/notified.json', 'runs/*/notify-claims/*', 'runs/*/report.csv', 'runs/*/stalled/*', 'runs/*/summary.json'].map((k) => `${bucketArn}/${k}`),
    );
    assert.deepEqual(on('s3:DeleteObject'), [objectArn('watch/')]);
    assert.deepEqual(on('s3:ListBucket'), [bucketArn]);
    assert.deepEqual([...new Set(s3.map((g) => g.action))].sort(), ['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
    assert.ok(grants(t, 'watcher').every((g) => !g.action.startsWith('sqs:')), 'the watcher uses no queue');
  });

  /** The statements of the stack's managed policy whose description starts so. */
  const managed = (template: typeof t, start: string) =>
    only(template, 'AWS::IAM::ManagedPolicy', start, (r) => String(r.Properties.Description).startsWith(start))[1].Properties.PolicyDocument
      .Statement as Statement[];
  const allowed = (statements: Statement[], action: string) =>
    statements.filter((s) => s.Effect === 'Allow' && actions(s).includes(action)).flatMap(resourceList).map(flat).sort();

  it('operators: upload rosters, approvals, undos and cancels, read runs; never write runs/, backups/, hr/ or the policy', () => {
    const statements = managed(t, 'Offboard operators');
    assert.deepEqual(allowed(statements, 's3:PutObject'), ['approvals/', 'cancel/', 'inbox/', 'undo/'].map(objectArn).sort());
    assert.deepEqual(allowed(statements, 's3:GetObject'), ['approvals/', 'runs/'].map(objectArn).sort());
    assert.deepEqual(allowed(statements, 's3:ListBucket'), [bucketArn]);
    assert.ok(statements.every((s) => actions(s).every((a) => ['s3:PutObject', 's3:GetObject', 's3:ListBucket', 'kms:Decrypt', 'kms:GenerateDataKey'].includes(a))));
  });

  it('the HR system: drops files under hr/, nothing else', () => {
    const statements = managed(t, 'The HR system');
    assert.deepEqual(allowed(statements, 's3:PutObject'), [objectArn('hr/')]);
    assert.deepEqual(statements.flatMap(actions).sort(), ['kms:GenerateDataKey', 's3:PutObject']);
    const [roleId] = only(t, 'AWS::IAM::Role', 'the HR drop role', (r) => String(r.Properties.Description).startsWith('The HR system'));
    assert.ok(roleId);
  });

  it('the bucket policy: only the functions write runs/, only the planner and the watcher watch/, only the planner backups/ and schedule/, only approvers approvals/ and cancel/', () => {
    for (const [template, extra] of [[t, []], [custom.template, ['arn:aws:iam::111122223333:role/AWSReservedSSO_Approvers_0123']]] as const) {
      const policy = resources(template, 'AWS::S3::BucketPolicy').find(([, p]) => JSON.stringify(p.Properties.Bucket).includes(dataBucket(template)[0]))![1];
      const denies = (policy.Properties.PolicyDocument.Statement as Statement[]).filter((s) => s.Effect === 'Deny' && s.Condition?.ArnNotEquals);
      const role = (start: string) => {
        const [id] = only(template, 'AWS::IAM::Role', start, (r) => String(r.Properties.Description ?? '').startsWith(start));
        return `<${id}.Arn>`;
      };
      const byPrefix = Object.fromEntries(
        // arn:...:s3:::<bucket>/<prefix>/* → <prefix>
        denies.flatMap((s) => resourceList(s).map((r) => [flat(r).split('/').slice(-2, -1)[0], s])),
      ) as Record<string, Statement>;
      const who = (prefix: string) => [byPrefix[prefix].Condition!.ArnNotEquals['aws:PrincipalArn']].flat().map(flat).sort();
      assert.deepEqual(who('runs'), [role('Offboard planner'), role('Offboard executor'), role('Offboard watcher')].sort());
      assert.deepEqual(who('watch'), [role('Offboard planner'), role('Offboard watcher')].sort());
      assert.deepEqual(who('deferred'), [role('Offboard planner'), role('Offboard watcher')].sort());
      assert.deepEqual(who('backups'), [role('Offboard planner')]);
      assert.deepEqual(who('schedule'), [role('Offboard planner')]);
      assert.deepEqual(who('approvals'), [role('Offboard operators'), ...extra].sort());
      assert.deepEqual(who('cancel'), [role('Offboard operators'), ...extra].sort());
      for (const s of denies) {
        assert.deepEqual(s.Principal, { AWS: '*' });
        assert.deepEqual(actions(s).sort(), ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObject']);
      }
    }
  });

  it('SQS: the planner sends actions (and cannot consume); the executor consumes (and cannot send) and dead-letters', () => {
    const [queueId, queue] = actionQueue(t);
    const queueArn = `<${queueId}.Arn>`;
    const [dlqId] = deadLetterQueueOf(t, queue);
    const dlqArn = `<${dlqId}.Arn>`;
    const planner = grants(t, 'planner').filter((g) => g.action.startsWith('sqs:') && g.resource === queueArn);
    assert.deepEqual(planner.map((g) => g.action), ['sqs:SendMessage']);
    const executor = grants(t, 'executor').filter((g) => g.action.startsWith('sqs:') && g.resource === queueArn);
    const executorActions = executor.map((g) => g.action).sort();
    for (const a of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes']) {
      assert.ok(executorActions.includes(a), `executor may ${a}`);
    }
    assert.ok(!executorActions.includes('sqs:SendMessage'));
    assert.deepEqual(
      grants(t, 'executor').filter((g) => g.action.startsWith('sqs:') && g.resource === dlqArn).map((g) => g.action),
      ['sqs:SendMessage'],
      'executor: send to the DLQ, nothing else there',
    );
    assert.ok(
      grants(t, 'executor').every((g) => !(g.action.startsWith('sqs:') && g.resource !== queueArn && g.resource !== dlqArn)),
      'executor: no other queue',
    );
    const [failureId] = plannerFailureQueue(t);
    assert.deepEqual(
      grants(t, 'planner').filter((g) => g.action.startsWith('sqs:')).map((g) => g.resource).sort(),
      [queueArn, `<${failureId}.Arn>`].sort(),
      'planner: the action queue and its own failure queue only',
    );
  });

  it('SQS: the executor extends visibility on the queue its OFFBOARD_QUEUE_URL names (granted by the event source)', () => {
    for (const template of [t, custom.template]) {
      const [queueId] = actionQueue(template);
      assert.deepEqual(fn(template, 'executor')[1].Properties.Environment.Variables.OFFBOARD_QUEUE_URL, { Ref: queueId });
      const change = granting(roleStatements(template, 'executor'), 'sqs:ChangeMessageVisibility');
      assert.deepEqual(change.flatMap(resourceList), [{ 'Fn::GetAtt': [queueId, 'Arn'] }]);
    }
  });

  it('KMS: the executor may use the key of the DLQ it sends to', () => {
    const [keyId, key] = stackKey(t);
    const [, queue] = actionQueue(t);
    const [, dlq] = deadLetterQueueOf(t, queue);
    const [, topic] = only(t, 'AWS::SNS::Topic', 'the topic', () => true);
    const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
    assert.deepEqual(dlq.Properties.KmsMasterKeyId, keyArn);
    assert.deepEqual(topic.Properties.KmsMasterKeyId, keyArn);
    const onKey = grants(t, 'executor').filter((g) => g.resource === `<${keyId}.Arn>`).map((g) => g.action);
    for (const a of ['kms:GenerateDataKey', 'kms:Decrypt']) assert.ok(onKey.includes(a), `executor may ${a} on the stack key`);
    // The key policy lets the account's IAM policies grant its use (no per-role key policy needed).
    const statements: Statement[] = key.Properties.KeyPolicy.Statement;
    assert.ok(
      statements.some(
        (s) => s.Effect === 'Allow' && actions(s).includes('kms:*') && flat((s.Principal as any)?.AWS) === 'arn:<AWS::Partition>:iam::<AWS::AccountId>:root',
      ),
    );
  });

  it('SNS: the planner and the watcher publish to the notification topic only; the executor publishes nothing', () => {
    const [topicId] = only(t, 'AWS::SNS::Topic', 'the topic', () => true);
    for (const name of ['planner', 'watcher'] as const) {
      const sns = grants(t, name).filter((g) => g.action.startsWith('sns:'));
      assert.deepEqual(sns.map((g) => [g.action, g.resource]), [['sns:Publish', `<${topicId}>`]]);
    }
    assert.deepEqual(grants(t, 'executor').filter((g) => g.action.startsWith('sns:')), []);
  });

  it('logs: each function writes to its own log group only', () => {
    for (const name of ['planner', 'executor', 'watcher'] as const) {
      const groupId = fn(t, name)[1].Properties.LoggingConfig.LogGroup.Ref;
      const logs = grants(t, name).filter((g) => g.action.startsWith('logs:'));
      assert.deepEqual([...new Set(logs.map((g) => g.resource))], [`<${groupId}.Arn>`]);
    }
  });

  it('the SecureString parameters are not created by the stack', () => {
    t.resourceCountIs('AWS::SSM::Parameter', 0);
    custom.template.resourceCountIs('AWS::SSM::Parameter', 0);
  });
});
