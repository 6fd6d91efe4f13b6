/**
 * Stages: `-c stage=dev` synthesizes a second stack, `Offboard-dev`, that can be deployed
 * next to the default one in the same account and region: the same resources (the same
 * logical IDs), none of the default stage's fixed names. Without a stage the app is what
 * it was: the stack `Offboard`, its template `Offboard.template.json` (which infra/synth.sh
 * and the local stack read). The app is built here as bin/offboard.ts builds it, cdk-nag
 * included.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { addOffboardStack } from '../lib/app';
import { CDK_CONTEXT, NO_ZIPS_DIR, flat, tempDir } from './helpers';

/** Synthesizes the app with this context, as `cdk synth -c key=value` does (strings). */
function synth(context: Record<string, string> = {}) {
  const outdir = tempDir('offboard-stage-');
  const app = new App({ context: { ...CDK_CONTEXT, placeholderCode: 'true', lambdaDir: NO_ZIPS_DIR, ...context }, outdir });
  const stack = addOffboardStack(app);
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const template = JSON.parse(fs.readFileSync(path.join(outdir, artifact.templateFile), 'utf8'));
  return { stack, artifact, template, outdir };
}

/** Properties that give a resource a physical name of its own choosing. */
const NAME_PROPERTIES = [
  'BucketName', 'DashboardName', 'QueueName', 'TopicName', 'RoleName', 'ManagedPolicyName', 'PolicyName', 'LogGroupName',
  'FunctionName', 'AlarmName', 'AliasName', 'Name', 'GroupName', 'ScheduleGroupName',
];

/** [type, property, name] of every explicit physical name in a template (references to another resource left out). */
function physicalNames(template: any): [string, string, string][] {
  const names: [string, string, string][] = [];
  for (const r of Object.values(template.Resources) as any[]) {
    for (const property of NAME_PROPERTIES) {
      const value = r.Properties?.[property];
      if (value === undefined || (typeof value === 'object' && !value['Fn::Join'])) continue; // a Ref/GetAtt names another resource
      // IAM policies' PolicyName is CDK's logical name for the document, not an account-wide name.
      if (r.Type === 'AWS::IAM::Policy') continue;
      names.push([r.Type, property, flat(value)]);
    }
  }
  return names;
}

/** Every string of a template, Fn::Joins flattened. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') {
    if ((value as any)['Fn::Join']) return [flat(value)];
    return Object.values(value).flatMap(strings);
  }
  return [];
}

describe('stages', () => {
  const byDefault = synth();
  const dev = synth({ stage: 'dev' });

  it('without a stage: the stack Offboard, its template Offboard.template.json', () => {
    assert.equal(byDefault.stack.stackName, 'Offboard');
    assert.equal(byDefault.artifact.templateFile, 'Offboard.template.json');
    assert.equal(byDefault.stack.config.stage, undefined);
  });

  it('with -c stage=dev: the stack Offboard-dev, its template Offboard-dev.template.json, cdk-nag clean', () => {
    assert.equal(dev.stack.stackName, 'Offboard-dev');
    assert.equal(dev.artifact.templateFile, 'Offboard-dev.template.json');
    assert.ok(fs.existsSync(path.join(dev.outdir, 'Offboard-dev.template.json')));
    assert.match(dev.template.Description, /stage dev$/);
  });

  it('the same resources under the same logical IDs in both stages (but the event source mapping\'s, made from the stack\'s name)', () => {
    const mapping = (id: string) => id.startsWith('ExecutorSqsEventSource');
    const types = (t: any) =>
      Object.fromEntries(Object.entries(t.Resources).filter(([id]) => !mapping(id)).map(([id, r]: [string, any]) => [id, r.Type]));
    assert.deepEqual(types(dev.template), types(byDefault.template));
    for (const t of [byDefault.template, dev.template]) {
      assert.deepEqual(Object.entries(t.Resources).filter(([id]) => mapping(id)).map(([, r]: [string, any]) => r.Type), ['AWS::Lambda::EventSourceMapping']);
    }
  });

  it('no explicit physical name is shared: every fixed name carries the stage', () => {
    const defaultNames = physicalNames(byDefault.template);
    const devNames = physicalNames(dev.template);
    assert.deepEqual(
      defaultNames.map(([type, property, name]) => [type, property, name]).sort(),
      [
        ['AWS::CloudWatch::Dashboard', 'DashboardName', 'Offboard-<AWS::Region>'],
        ['AWS::S3::Bucket', 'BucketName', 'offboard-<AWS::AccountId>-<AWS::Region>'],
        ['AWS::S3::Bucket', 'BucketName', 'offboard-logs-<AWS::AccountId>-<AWS::Region>'],
      ].sort(),
      'the default stage\'s fixed names (a new one must be given the stage too, and listed here)',
    );
    assert.deepEqual(
      devNames.map(([, , name]) => name).sort(),
      ['Offboard-dev-<AWS::Region>', 'offboard-dev-<AWS::AccountId>-<AWS::Region>', 'offboard-dev-logs-<AWS::AccountId>-<AWS::Region>'].sort(),
    );
    const shared = devNames.filter(([, , name]) => defaultNames.some(([, , other]) => other.toLowerCase() === name.toLowerCase()));
    assert.deepEqual(shared, []);
  });

  it('the dev stack names nothing of the default stage: not its buckets, not its SSM parameters', () => {
    const all = strings(dev.template);
    assert.deepEqual(all.filter((s) => /(^|:::)offboard-(logs-)?<AWS::AccountId>/.test(s)), [], 'the default stage\'s buckets');
    assert.deepEqual(all.filter((s) => s.includes('/offboard/zoom/')), [], 'the default stage\'s parameters');
    const executor = Object.values(dev.template.Resources).find(
      (r: any) => r.Type === 'AWS::Lambda::Function' && String(r.Properties?.Description ?? '').startsWith('Offboard executor:'),
    ) as any;
    const env = executor.Properties.Environment.Variables;
    assert.equal(env.ZOOM_CLIENT_SECRET_PARAM, '/offboard/dev/zoom/client_secret');
    assert.equal(flat(env.OFFBOARD_BUCKET), 'offboard-dev-<AWS::AccountId>-<AWS::Region>');
  });

  it('a stage may still be told to read other parameters, and the default stage reads its own', () => {
    const shared = synth({ stage: 'dev', zoomAccountIdParam: '/shared/zoom/account_id' });
    assert.equal(shared.stack.config.zoomAccountIdParam, '/shared/zoom/account_id');
    assert.equal(shared.stack.config.zoomClientIdParam, '/offboard/dev/zoom/client_id');
    assert.equal(byDefault.stack.config.zoomClientIdParam, '/offboard/zoom/client_id');
  });

  it('refuses a bad stage name at synth, naming the key', () => {
    assert.throws(() => synth({ stage: 'Dev' }), /offboard config: stage must be 1 to 12 lowercase letters/);
  });
});
