/**
 * cdk-nag's AwsSolutions rules run as a validation plugin at synth: no finding may be
 * left unacknowledged, and every acknowledgement, checkov skip and cfn-lint ignore
 * carries a written reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { validateConfig } from '../lib/config';
import { OffboardStack } from '../lib/offboard-stack';
import { CDK_CONTEXT, NO_ZIPS_DIR, tempDir } from './helpers';

function appWithNag(overrides: Record<string, unknown> = {}) {
  const app = new App({ context: CDK_CONTEXT, outdir: tempDir('offboard-nag-') });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new OffboardStack(app, 'Offboard', {
    config: validateConfig({ lambdaDir: NO_ZIPS_DIR, placeholderCode: true, ...overrides }),
  });
  return { app, stack };
}

/** Runs f with console output captured, and returns what it printed. */
function quietly(f: () => void): string {
  const printed: string[] = [];
  const saved = { log: console.log, error: console.error, warn: console.warn, out: process.stdout.write, err: process.stderr.write };
  const capture = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
  console.log = console.error = console.warn = capture;
  process.stdout.write = process.stderr.write = ((chunk: unknown) => (printed.push(String(chunk)), true)) as typeof process.stdout.write;
  try {
    f();
  } finally {
    Object.assign(console, { log: saved.log, error: saved.error, warn: saved.warn });
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
  }
  return printed.join('\n');
}

function* walk(node: IConstruct): Generator<IConstruct> {
  yield node;
  for (const child of node.node.children) yield* walk(child);
}

describe('cdk-nag AwsSolutions', () => {
  it('the default stack synthesizes with no unacknowledged finding', () => {
    const { app } = appWithNag();
    assert.doesNotThrow(() => app.synth());
  });

  it('so does a stack with a named SSM key, an email subscription and other parameters', () => {
    const { app } = appWithNag({
      ssmKmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      notificationEmail: 'it-ops@example.com',
      executorConcurrency: 20,
      batchSize: 1,
      sweepEnabled: false,
    });
    assert.doesNotThrow(() => app.synth());
  });

  it('is really wired: an unacknowledged finding fails synth', () => {
    const { app, stack } = appWithNag();
    new sqs.Queue(stack, 'CarelessQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    // The report CDK prints for this expected failure would read like a real one: keep it.
    const report = quietly(() => assert.throws(() => app.synth(), /Validation failed/));
    assert.match(report, /AwsSolutions-SQS2/);
    assert.match(report, /CarelessQueue/);
  });

  it('every acknowledgement has a written reason', () => {
    const { app } = appWithNag();
    const acknowledgements: [string, string, string][] = [];
    for (const node of walk(app)) {
      for (const entry of node.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledgements.push([node.node.path, id, reason]);
        }
      }
    }
    assert.ok(acknowledgements.length > 0);
    for (const [where, id, reason] of acknowledgements) {
      assert.ok(typeof reason === 'string' && reason.trim().length >= 20, `${where} ${id}: reason ${JSON.stringify(reason)}`);
      assert.match(id, /AwsSolutions-/);
    }
  });

  it('every checkov skip and cfn-lint ignore in the template has a written reason', () => {
    const { stack } = appWithNag();
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Metadata?: any }>;
    let skips = 0;
    for (const [id, r] of Object.entries(resources)) {
      for (const skip of r.Metadata?.checkov?.skip ?? []) {
        skips++;
        assert.match(skip.id, /^CKV2?_AWS_\d+$/, id);
        assert.ok(String(skip.comment ?? '').length >= 20, `${id} ${skip.id} needs a comment`);
      }
      for (const rule of r.Metadata?.['cfn-lint']?.config?.ignore_checks ?? []) {
        skips++;
        assert.ok(String(r.Metadata['cfn-lint-reasons']?.[rule] ?? '').length >= 20, `${id} ${rule} needs a reason`);
      }
    }
    assert.ok(skips > 0);
  });
});
