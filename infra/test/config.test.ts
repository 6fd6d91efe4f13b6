import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DEFAULTS, bucketBaseName, configFromContext, stackIdOf, validateConfig } from '../lib/config';

describe('config', () => {
  it('has the provisional sizes and safe defaults', () => {
    const c = validateConfig({});
    assert.equal(c.plannerMemoryMb, 1024);
    assert.equal(c.plannerTimeoutSeconds, 900);
    assert.equal(c.executorMemoryMb, 256);
    assert.equal(c.executorTimeoutSeconds, 60);
    assert.ok(c.maxReceiveCount >= 5);
    assert.equal(c.placeholderCode, false, 'a deploy never gets placeholder code unless asked for');
    assert.equal(c.zoomClientSecretParam, '/offboard/zoom/client_secret');
  });

  it('reads every parameter from context, converting the strings `cdk -c` passes', () => {
    const context: Record<string, string> = {
      bucketNamePrefix: 'acme-offboard',
      zoomPlan: 'business',
      budgetShare: '0.25',
      executorConcurrency: '8',
      batchSize: '4',
      sweepSchedule: 'cron(30 2 ? * MON-FRI *)',
      sweepEnabled: 'false',
      maxDestructiveActions: '10',
      maxDestructiveShare: '0.02',
      allowedDomains: 'Example.com, example.org',
      zoomAccountIdParam: '/acme/zoom/account',
      zoomClientIdParam: '/acme/zoom/id',
      zoomClientSecretParam: '/acme/zoom/secret',
      notificationEmail: 'it-ops@example.com',
      approverPrincipalArns: 'arn:aws:iam::111122223333:role/Approvers, arn:aws:iam::111122223333:user/Ada',
    };
    const c = configFromContext((key) => context[key]);
    assert.equal(c.bucketNamePrefix, 'acme-offboard');
    assert.equal(c.zoomPlan, 'business');
    assert.equal(c.budgetShare, 0.25);
    assert.equal(c.executorConcurrency, 8);
    assert.equal(c.batchSize, 4);
    assert.equal(c.sweepSchedule, 'cron(30 2 ? * MON-FRI *)');
    assert.equal(c.sweepEnabled, false);
    assert.equal(c.maxDestructiveActions, 10);
    assert.equal(c.maxDestructiveShare, 0.02);
    assert.deepEqual(c.allowedDomains, ['example.com', 'example.org']);
    assert.equal(c.zoomAccountIdParam, '/acme/zoom/account');
    assert.equal(c.notificationEmail, 'it-ops@example.com');
    assert.equal(c.sweepInactiveDays, DEFAULTS.sweepInactiveDays);
    assert.deepEqual(c.approverPrincipalArns, ['arn:aws:iam::111122223333:role/Approvers', 'arn:aws:iam::111122223333:user/Ada']);
  });

  const bad: [string, unknown][] = [
    ['batchSize', 11],
    ['batchSize', 0],
    ['executorConcurrency', 1],
    ['executorConcurrency', '2.5'],
    ['maxReceiveCount', 4],
    ['budgetShare', 0],
    ['budgetShare', '1.5'],
    ['zoomPlan', 'enterprise'],
    ['sweepAction', 'delete'],
    ['bucketNamePrefix', 'Offboard_Data'],
    ['bucketNamePrefix', 'a-prefix-much-too-long-for-a-bucket'],
    ['zoomClientSecretParam', 'zoom secret'],
    ['notificationEmail', 'not-an-email'],
    ['completionEmail', 'hr at acme'],
    ['logRetentionDays', 100],
    ['sweepSchedule', '0 6 * * *'],
    ['ssmKmsKeyArn', 'alias/aws/ssm'],
    ['zoomApiUrl', 'http://api.zoom.us/v2'],
    ['executorTimeoutSeconds', 901],
    ['noSuchParameter', 'x'],
    ['approverPrincipalArns', 'approvers'],
    ['approverPrincipalArns', 'arn:aws:s3:::bucket'],
    ['stage', 'Dev'],
    ['stage', 'dev_1'],
    ['stage', '-dev'],
    ['stage', 'dev-'],
    ['stage', 'd--v'],
    ['stage', '1dev'],
    ['stage', 'much-too-long'],
    ['stage', 'logs'],
    ['stage', 'qa-logs'],
  ];
  it('a stage: none by default (the stack Offboard), else in the stack id, the bucket names and the SSM parameter names', () => {
    const none = validateConfig({});
    assert.equal(none.stage, undefined);
    assert.equal(stackIdOf(none), 'Offboard');
    assert.equal(bucketBaseName(none), 'offboard');
    assert.equal(validateConfig({ stage: '' }).stage, undefined, 'an empty stage is the default stage');
    for (const stage of ['dev', 'qa2', 'eu-test', 'abcdefghijkl']) assert.equal(validateConfig({ stage }).stage, stage);
    const dev = validateConfig({ stage: 'dev', bucketNamePrefix: 'acme' });
    assert.equal(stackIdOf(dev), 'Offboard-dev');
    assert.equal(bucketBaseName(dev), 'acme-dev');
    assert.deepEqual(
      [dev.zoomAccountIdParam, dev.zoomClientIdParam, dev.zoomClientSecretParam],
      ['/offboard/dev/zoom/account_id', '/offboard/dev/zoom/client_id', '/offboard/dev/zoom/client_secret'],
    );
    assert.equal(validateConfig({ stage: 'dev', zoomClientIdParam: '/shared/id' }).zoomClientIdParam, '/shared/id', 'a name given is kept');
  });

  it('refuses a stage that would make the bucket names too long', () => {
    assert.doesNotThrow(() => validateConfig({ bucketNamePrefix: 'a'.repeat(25), stage: 'abcd' }));
    assert.throws(
      () => validateConfig({ bucketNamePrefix: 'a'.repeat(26), stage: 'abcd' }),
      (e: Error) => e instanceof ConfigError && /stage and bucketNamePrefix together .* at most 30/.test(e.message),
    );
  });

  for (const [key, value] of bad) {
    it(`refuses ${key}=${JSON.stringify(value)}, naming the key`, () => {
      assert.throws(() => validateConfig({ [key]: value }), (e: Error) => e instanceof ConfigError && e.message.includes(key));
    });
  }
});
