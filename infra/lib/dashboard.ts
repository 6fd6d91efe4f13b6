/**
 * Dashboard: one CloudWatch dashboard of what the pipeline is doing, for the admin who runs
 * it. Its graphs read the functions' own metrics (metrics.ts: namespace Offboard, dimension
 * Function) and AWS's (Lambda, SQS); its alarm widgets show every alarm of alarms.ts, so the
 * dashboard is where an alarm's email leads.
 *
 *   alarms                 the state of every alarm
 *   actions per minute     Done, Failed, Skipped, Retried, DeadLettered (Sum, 1 minute)
 *   Zoom                   429s (Throttled) and the achieved rate
 *   action queue           messages waiting and in flight, age of the oldest
 *   dead-letter queues     the action DLQ and the planner failure queue
 *   durations              Lambda Duration of the planner, executor and watcher; the
 *                          watcher's runs watched, completed and stalled
 *   AWS requests           S3 and SQS requests per finished action, and in all
 *   one graph per alarm    its metric against its threshold
 *
 * A construct of its own (it came after the deployed stack's logical IDs were fixed, so it
 * moves none of them). Its name carries the stack's (and with it the stage) and the region,
 * so stages and regions of one account never share a dashboard.
 */
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EXECUTOR_OUTCOMES, executorMetric, watcherMetric } from './metrics';

export interface OffboardDashboardProps {
  readonly actionsQueue: sqs.IQueue;
  readonly actionsDeadLetterQueue: sqs.IQueue;
  readonly plannerFailureQueue: sqs.IQueue;
  readonly planner: lambda.IFunction;
  readonly executor: lambda.IFunction;
  readonly watcher: lambda.IFunction;
  /** Every alarm of the stack (Alarms.alarms): a status widget and a graph each. */
  readonly alarms: cloudwatch.Alarm[];
}

const MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

export class OffboardDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** `<stack name>-<region>`: `Offboard-us-east-1`, `Offboard-dev-us-east-1`. */
  public readonly dashboardName: string;
  /** The dashboard in the CloudWatch console. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: OffboardDashboardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.dashboardName = `${stack.stackName}-${Aws.REGION}`;
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: this.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.url = `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${this.dashboardName}`;

    const { actionsQueue, actionsDeadLetterQueue, plannerFailureQueue, planner, executor, watcher } = props;
    const perMinute = (name: (typeof EXECUTOR_OUTCOMES)[number]) => executorMetric(name, { period: MINUTE, label: name });
    const finished = {
      done: executorMetric('Done', { period: MINUTE }),
      failed: executorMetric('Failed', { period: MINUTE }),
      skipped: executorMetric('Skipped', { period: MINUTE }),
    };
    // Actions that reached an outcome in the minute; 0 while idle (no division by zero).
    const finishedSum = 'FILL(done, 0) + FILL(failed, 0) + FILL(skipped, 0)';
    // The ids are the widget's: two expressions in one graph may share a metric, not an id.
    const perAction = (metric: 'S3Requests' | 'SqsRequests', id: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `IF(${finishedSum} > 0, FILL(${id}, 0) / (${finishedSum}), 0)`,
        usingMetrics: { ...finished, [id]: executorMetric(metric, { period: MINUTE }) },
        period: MINUTE,
        label,
      });
    const queueOptions = { period: MINUTE, statistic: 'Maximum' };

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          `## Offboard (${stack.stackName})\n` +
          'Actions and Zoom from the executor\'s metric lines (namespace `Offboard`, dimension `Function`), one per batch; ' +
          'runs from the watcher\'s, one per minute. An alarm publishes to the notification topic; see infra/README.md for what each means.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: props.alarms,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
        width: 24,
        height: 3,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Actions per minute, by outcome',
        left: EXECUTOR_OUTCOMES.map(perMinute),
        leftYAxis: { label: 'actions / minute', min: 0, showUnits: false },
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Zoom: 429s and achieved rate',
        left: [executorMetric('Throttled', { period: MINUTE, label: 'Throttled (Zoom 429s)' })],
        right: [
          executorMetric('AchievedRate', { period: MINUTE, statistic: 'Average', label: 'AchievedRate, per batch (average)' }),
          new cloudwatch.MathExpression({
            expression: `(${finishedSum}) / PERIOD(done)`,
            usingMetrics: finished,
            period: MINUTE,
            label: 'finished actions / s, all executors',
          }),
        ],
        leftYAxis: { label: '429s / minute', min: 0, showUnits: false },
        rightYAxis: { label: 'actions / s', min: 0, showUnits: false },
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Action queue',
        left: [
          actionsQueue.metricApproximateNumberOfMessagesVisible({ ...queueOptions, label: 'waiting (ApproximateNumberOfMessagesVisible)' }),
          actionsQueue.metricApproximateNumberOfMessagesNotVisible({ ...queueOptions, label: 'in flight (ApproximateNumberOfMessagesNotVisible)' }),
        ],
        right: [actionsQueue.metricApproximateAgeOfOldestMessage({ ...queueOptions, label: 'age of the oldest message' })],
        leftYAxis: { label: 'messages', min: 0, showUnits: false },
        rightYAxis: { label: 'seconds', min: 0, showUnits: false },
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues',
        left: [
          actionsDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...queueOptions, label: 'action DLQ' }),
          plannerFailureQueue.metricApproximateNumberOfMessagesVisible({ ...queueOptions, label: 'planner failure queue' }),
        ],
        leftYAxis: { label: 'messages', min: 0, showUnits: false },
        width: 12,
      }),
    );
    const duration = (fn: lambda.IFunction, name: string) => [
      fn.metricDuration({ period: FIVE_MINUTES, statistic: 'Maximum', label: `${name}, maximum` }),
      fn.metricDuration({ period: FIVE_MINUTES, statistic: 'Average', label: `${name}, average` }),
    ];
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Planner duration (a run\'s planning)',
        left: duration(planner, 'planner'),
        leftYAxis: { label: 'ms', min: 0, showUnits: false },
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Executor and watcher durations',
        left: [...duration(executor, 'executor (one batch)'), ...duration(watcher, 'watcher (one look)')],
        leftYAxis: { label: 'ms', min: 0, showUnits: false },
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Runs (the watcher)',
        left: [
          watcherMetric('RunsWatched', { period: MINUTE, statistic: 'Maximum', label: 'RunsWatched (sent, not finished)' }),
          watcherMetric('RunsCompleted', { period: MINUTE, label: 'RunsCompleted' }),
          watcherMetric('RunsStalled', { period: MINUTE, statistic: 'Maximum', label: 'RunsStalled' }),
          watcherMetric('WatchErrors', { period: MINUTE, label: 'WatchErrors' }),
        ],
        leftYAxis: { label: 'runs', min: 0, showUnits: false },
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'AWS requests per finished action (executor)',
        left: [perAction('S3Requests', 's3', 'S3 requests / action'), perAction('SqsRequests', 'sqs', 'SQS requests / action')],
        leftYAxis: { label: 'requests / action', min: 0, showUnits: false },
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'AWS requests per minute',
        left: [
          executorMetric('S3Requests', { period: MINUTE, label: 'executor S3Requests' }),
          executorMetric('SqsRequests', { period: MINUTE, label: 'executor SqsRequests' }),
          watcherMetric('S3Requests', { period: MINUTE, label: 'watcher S3Requests' }),
        ],
        leftYAxis: { label: 'requests / minute', min: 0, showUnits: false },
        width: 12,
      }),
    );
    // One graph per alarm, its metric against its threshold, three to a row.
    const alarmGraphs = props.alarms.map(
      (alarm) => new cloudwatch.AlarmWidget({ title: alarm.node.id, alarm, leftYAxis: { min: 0 }, width: 8 }),
    );
    for (let i = 0; i < alarmGraphs.length; i += 3) this.dashboard.addWidgets(...alarmGraphs.slice(i, i + 3));
  }
}
