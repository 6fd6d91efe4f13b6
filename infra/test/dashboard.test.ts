/**
 * The dashboard: one AWS::CloudWatch::Dashboard whose body reads the metrics the functions
 * really emit (namespace, names and dimension taken from the Rust sources, so a renamed
 * metric fails here rather than leaving an empty graph), the action queue's and the DLQs'
 * metrics, each function's Duration, and every alarm of the stack.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { EXECUTOR_METRICS, EXECUTOR_OUTCOMES, NAMESPACE, WATCHER_METRICS } from '../lib/metrics';
import { actionQueue, build, deadLetterQueueOf, flat, fn, plannerFailureQueue, resources } from './helpers';

const REPO = path.resolve(__dirname, '..', '..');
const rust = (file: string) => fs.readFileSync(path.join(REPO, file), 'utf8');

/** The metric names and the Function dimension of the EMF line a binary prints. */
function emittedBy(bin: 'executor' | 'watcher'): { names: string[]; dimension: string } {
  const source = rust(`crates/lambdas/src/bin/${bin}.rs`);
  const names = [...source.matchAll(/Metric\s*\{\s*name:\s*"(\w+)"/g)].map((m) => m[1]);
  const dimension = /emf_line\(\s*&\[\("Function",\s*"(\w+)"\)\]/.exec(source)?.[1];
  assert.ok(names.length > 0 && dimension, `${bin}.rs: no EMF metrics found`);
  return { names, dimension };
}

const { template } = build();
const [[dashboardId, dashboard]] = resources(template, 'AWS::CloudWatch::Dashboard');
/** The body with Fn::Join resolved and references written <Id> / <Id.Attr>: still JSON. */
const body = JSON.parse(flat(dashboard.Properties.DashboardBody));
type Widget = { type: string; x: number; width: number; properties: Record<string, any> };
const widgets: Widget[] = body.widgets;
/** Every metric row of every graph: [namespace, name, dimension, value, options]. */
const rows: any[][] = widgets.flatMap((w) => w.properties.metrics ?? []).filter((row: any[]) => typeof row[0] === 'string');
const has = (namespace: string, name: string, dimension: string, value: string, options: Record<string, unknown> = {}) =>
  rows.some(
    (r) =>
      r[0] === namespace && r[1] === name && r[2] === dimension && r[3] === value &&
      Object.entries(options).every(([k, v]) => (r[4] ?? {})[k] === v),
  );

describe('dashboard', () => {
  it('is one AWS::CloudWatch::Dashboard, named after the stack and the region', () => {
    assert.equal(resources(template, 'AWS::CloudWatch::Dashboard').length, 1);
    assert.equal(flat(dashboard.Properties.DashboardName), 'Offboard-<AWS::Region>');
    const outputs = template.toJSON().Outputs;
    assert.deepEqual(outputs.DashboardName.Value, { Ref: dashboardId });
    assert.equal(
      flat(outputs.DashboardUrl.Value),
      'https://<AWS::Region>.console.aws.amazon.com/cloudwatch/home?region=<AWS::Region>#dashboards/dashboard/Offboard-<AWS::Region>',
    );
  });

  it('names the metrics the Rust code emits: namespace, names and Function dimension', () => {
    assert.match(rust('crates/core/src/emf.rs'), new RegExp(`pub const NAMESPACE: &str = "${NAMESPACE}";`));
    for (const [bin, declared] of [['executor', EXECUTOR_METRICS], ['watcher', WATCHER_METRICS]] as const) {
      const emitted = emittedBy(bin);
      assert.equal(emitted.dimension, bin);
      assert.deepEqual([...declared].sort(), [...emitted.names].sort(), `lib/metrics.ts lists what ${bin}.rs prints`);
      for (const name of declared) assert.ok(has(NAMESPACE, name, 'Function', bin), `${bin} ${name} is graphed`);
    }
    const custom = rows.filter((r) => r[0] === NAMESPACE);
    assert.ok(custom.every((r) => r[2] === 'Function' && ['executor', 'watcher'].includes(r[3]) && r.length === 5), 'one dimension, Function');
  });

  it('graphs actions per minute by outcome: Done, Failed, Skipped, Retried, DeadLettered, Sum per minute', () => {
    assert.deepEqual([...EXECUTOR_OUTCOMES], ['Done', 'Failed', 'Skipped', 'Retried', 'DeadLettered']);
    const graph = widgets.find((w) => w.properties.title === 'Actions per minute, by outcome');
    assert.ok(graph);
    assert.deepEqual(
      graph.properties.metrics.map((r: any[]) => [r[1], r[4].stat, r[4].period]),
      EXECUTOR_OUTCOMES.map((name) => [name, 'Sum', 60]),
    );
  });

  it('graphs Zoom\'s 429s, the achieved rate, and AWS requests per action', () => {
    assert.ok(has(NAMESPACE, 'Throttled', 'Function', 'executor', { stat: 'Sum', period: 60 }));
    assert.ok(has(NAMESPACE, 'AchievedRate', 'Function', 'executor', { period: 60 }));
    const expressions = widgets.flatMap((w) => w.properties.metrics ?? []).filter((r: any[]) => r[0]?.expression).map((r: any[]) => r[0]);
    for (const id of ['s3', 'sqs']) {
      assert.ok(expressions.some((e) => e.expression.includes(`FILL(${id}, 0) / (`)), `${id} requests per action`);
    }
  });

  it('graphs the action queue (depth, in flight, age of the oldest message) and both dead-letter queues', () => {
    const [queueId, queue] = actionQueue(template);
    const [dlqId] = deadLetterQueueOf(template, queue);
    const [failureId] = plannerFailureQueue(template);
    for (const metric of ['ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateAgeOfOldestMessage']) {
      assert.ok(has('AWS/SQS', metric, 'QueueName', `<${queueId}.QueueName>`, { stat: 'Maximum' }), `action queue ${metric}`);
    }
    assert.ok(has('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', `<${dlqId}.QueueName>`), 'action DLQ depth');
    assert.ok(has('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', `<${failureId}.QueueName>`), 'planner failure queue depth');
  });

  it('graphs the Lambda Duration of the planner, the executor and the watcher, and the watcher\'s runs', () => {
    for (const name of ['planner', 'executor', 'watcher'] as const) {
      const [id] = fn(template, name);
      assert.ok(has('AWS/Lambda', 'Duration', 'FunctionName', `<${id}>`, { stat: 'Maximum' }), `${name} Duration`);
    }
    for (const name of ['RunsWatched', 'RunsCompleted', 'RunsStalled', 'WatchErrors']) {
      assert.ok(has(NAMESPACE, name, 'Function', 'watcher', { period: 60 }), `watcher ${name}`);
    }
  });

  it('shows every alarm of the stack, in the status widget and in a graph of its own', () => {
    const alarmArns = resources(template, 'AWS::CloudWatch::Alarm').map(([id]) => `<${id}.Arn>`).sort();
    assert.equal(alarmArns.length, 7);
    const status = widgets.filter((w) => w.type === 'alarm');
    assert.equal(status.length, 1);
    assert.deepEqual([...status[0].properties.alarms].sort(), alarmArns);
    const graphed = widgets.flatMap((w) => w.properties.annotations?.alarms ?? []).sort();
    assert.deepEqual(graphed, alarmArns);
  });

  it('lays every widget out within the 24 columns', () => {
    for (const w of widgets) assert.ok(w.x + w.width <= 24, `${w.properties.title}: x ${w.x} + width ${w.width}`);
  });
});
