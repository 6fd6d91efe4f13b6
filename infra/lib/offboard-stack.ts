/**
 * The Offboard stack: composes one class per concern, in the order each needs the last
 * one's outputs, and publishes the stack's outputs.
 *
 *   storage.ts        the stack key, the plan-signing key, the data and access-log buckets,
 *                     the bucket's key layout, the bucket and key policies
 *   queues.ts         the action queue, its dead-letter queue, the planner failure queue
 *   notifications.ts  the topic of run summaries and alarms
 *   functions.ts      the planner, the executor and the watcher: logs, roles, grants, triggers
 *   access.ts         people's access: operator and HR-drop policies and roles
 *   schedule.ts       the daily sweep and the watcher's minute, and their scheduler roles
 *   alarms.ts         the alarms, publishing to the topic
 *   dashboard.ts      the CloudWatch dashboard: actions, Zoom, queues, durations, alarms
 *
 * The concerns are plain classes, not constructs: each adds its resources to this stack
 * itself, so a resource's construct path, and with it its CloudFormation logical ID, is
 * what it was when all of this was one stack. A changed logical ID makes CloudFormation
 * replace the resource: for the retained bucket and keys, a new empty bucket and a key
 * that decrypts none of the backups. test/logical-ids.test.ts holds the IDs fixed. The
 * dashboard, added later and holding no data, is a construct of its own.
 *
 * The stage (config.stage) is in the stack's id (bin/offboard.ts) and in the names that
 * are fixed strings (the buckets: storage.ts; the dashboard): the default stage has none,
 * and is the stack as it was.
 */
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PeopleAccess } from './access';
import { Alarms } from './alarms';
import { OffboardConfig } from './config';
import { OffboardDashboard } from './dashboard';
import { Functions } from './functions';
import { Notifications } from './notifications';
import { Queues } from './queues';
import { SweepSchedule, WatchSchedule } from './schedule';
import { Storage } from './storage';

export interface OffboardStackProps extends StackProps {
  readonly config: OffboardConfig;
}

export class OffboardStack extends Stack {
  public readonly config: OffboardConfig;
  public readonly storage: Storage;
  public readonly queues: Queues;
  public readonly notifications: Notifications;
  public readonly functions: Functions;
  public readonly access: PeopleAccess;
  public readonly sweep: SweepSchedule;
  public readonly watch: WatchSchedule;
  public readonly alarms: Alarms;
  public readonly dashboard: OffboardDashboard;

  constructor(scope: Construct, id: string, props: OffboardStackProps) {
    super(scope, id, props);
    const c = props.config;
    this.config = c;

    const storage = new Storage(this, { config: c });
    const queues = new Queues(this, { config: c, key: storage.key });
    const notifications = new Notifications(this, { config: c, key: storage.key });
    const topic = notifications.topic;
    const functions = new Functions(this, { config: c, storage, queues, topic });
    const { planner, executor, watcher } = functions;
    const access = new PeopleAccess(this, { storage });
    // Once the writers exist: the bucket and the plan-signing key admit only them.
    storage.restrictWritesTo({
      plannerRole: planner.role,
      executorRole: executor.role,
      watcherRole: watcher.role,
      approverArns: [access.operatorRole.roleArn, ...c.approverPrincipalArns],
    });
    const sweep = new SweepSchedule(this, {
      config: c,
      planner: planner.fn,
      plannerFailureQueue: queues.plannerFailureQueue,
      key: storage.key,
    });
    const watch = new WatchSchedule(this, { watcher: watcher.fn });
    const alarms = new Alarms(this, {
      topic,
      actionsDeadLetterQueue: queues.actionsDeadLetterQueue,
      plannerFailureQueue: queues.plannerFailureQueue,
      planner: planner.fn,
      executor: executor.fn,
      watcher: watcher.fn,
    });
    const dashboard = new OffboardDashboard(this, 'Dashboard', {
      actionsQueue: queues.actionsQueue,
      actionsDeadLetterQueue: queues.actionsDeadLetterQueue,
      plannerFailureQueue: queues.plannerFailureQueue,
      planner: planner.fn,
      executor: executor.fn,
      watcher: watcher.fn,
      alarms: alarms.alarms,
    });
    this.storage = storage;
    this.queues = queues;
    this.notifications = notifications;
    this.functions = functions;
    this.access = access;
    this.sweep = sweep;
    this.watch = watch;
    this.alarms = alarms;
    this.dashboard = dashboard;

    // What operators, the docs and the local stack read from a deployment.
    new CfnOutput(this, 'BucketName', { value: storage.bucketName, description: 'Upload rosters to s3://BUCKET/inbox/, HR files to hr/, approvals to approvals/, undo requests to undo/' });
    new CfnOutput(this, 'ActionQueueUrl', { value: queues.actionsQueue.queueUrl });
    new CfnOutput(this, 'ActionDeadLetterQueueUrl', { value: queues.actionsDeadLetterQueue.queueUrl });
    new CfnOutput(this, 'NotificationTopicArn', { value: topic.topicArn });
    new CfnOutput(this, 'OperatorRoleArn', { value: access.operatorRole.roleArn, description: 'Assume it to run offboard approve, status, undo and report (or attach OperatorPolicy to your own role and list it in approverPrincipalArns)' });
    new CfnOutput(this, 'OperatorPolicyArn', { value: access.operatorPolicy.managedPolicyArn });
    new CfnOutput(this, 'HrDropRoleArn', { value: access.hrDropRole.roleArn, description: 'The HR system assumes it to drop termination files under hr/' });
    new CfnOutput(this, 'HrDropPolicyArn', { value: access.hrDropPolicy.managedPolicyArn });
    new CfnOutput(this, 'PlanSigningKeyArn', { value: storage.planSigningKey.keyArn });
    new CfnOutput(this, 'PlannerFunctionName', { value: planner.fn.functionName });
    new CfnOutput(this, 'ExecutorFunctionName', { value: executor.fn.functionName });
    new CfnOutput(this, 'WatcherFunctionName', { value: watcher.fn.functionName });
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboard.dashboardName });
    new CfnOutput(this, 'DashboardUrl', { value: dashboard.url, description: 'The CloudWatch dashboard: actions, Zoom 429s, queues, durations and every alarm' });
  }
}
