/**
 * Alarms: what tells people something went wrong. Owns the CloudWatch alarms on the action
 * dead-letter queue, the planner failure queue, the functions' errors and throttles, and
 * the runs the watcher finds stalled;
 * each publishes to the notification topic (notifications.ts) when it fires.
 *
 * Its resources are added to the stack itself, not to a construct of its own, so their
 * logical IDs stay those of the deployed stack (see offboard-stack.ts).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { watcherMetric } from './metrics';

export interface AlarmsProps {
  /** Where every alarm publishes (Notifications.topic). */
  readonly topic: sns.ITopic;
  readonly actionsDeadLetterQueue: sqs.IQueue;
  readonly plannerFailureQueue: sqs.IQueue;
  readonly planner: lambda.IFunction;
  readonly executor: lambda.IFunction;
  readonly watcher: lambda.IFunction;
}

export class Alarms {
  /** Every alarm, each firing on one occurrence in five minutes. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Stack, props: AlarmsProps) {
    const notify = new cwActions.SnsAction(props.topic);
    const alarm = (id: string, description: string, metric: cloudwatch.IMetric) => {
      const a = new cloudwatch.Alarm(scope, id, {
        alarmDescription: description,
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(notify);
      this.alarms.push(a);
    };
    const fiveMinutes = Duration.minutes(5);
    alarm('ActionsDeadLetterAlarm', 'Offboard: an action message reached the dead-letter queue (unreadable, or failed on its last allowed receive)',
      props.actionsDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }));
    alarm('PlannerFailuresAlarm', 'Offboard: the planner failed on an S3 or schedule event after retries',
      props.plannerFailureQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }));
    alarm('ExecutorErrorsAlarm', 'Offboard: the executor failed an invocation (a whole batch returned to the queue)',
      props.executor.metricErrors({ period: fiveMinutes, statistic: 'Sum' }));
    alarm('ExecutorThrottlesAlarm', 'Offboard: the executor was throttled (reserved concurrency below the event source\'s maximum concurrency?)',
      props.executor.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }));
    alarm('PlannerErrorsAlarm', 'Offboard: the planner failed an invocation',
      props.planner.metricErrors({ period: fiveMinutes, statistic: 'Sum' }));
    alarm('WatcherErrorsAlarm', 'Offboard: the watcher failed an invocation, or could not look at a run (completions and stalls wait for its next look)',
      new cloudwatch.MathExpression({
        expression: 'errors + FILL(watchErrors, 0)',
        usingMetrics: {
          errors: props.watcher.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
          watchErrors: watcherMetric('WatchErrors', { period: fiveMinutes }),
        },
        period: fiveMinutes,
        label: 'watcher errors',
      }));
    // The watcher's RunsStalled counts every stalled run at each look, announced now or
    // before, so the alarm stays on while a run is stalled, even if its publish failed.
    alarm('RunStalledAlarm', 'Offboard: a run has results missing and got none for the stall time (see the run-stalled notification; resend or investigate its actions)',
      watcherMetric('RunsStalled', { period: fiveMinutes }));
  }
}
