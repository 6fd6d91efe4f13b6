/**
 * The deployed stack's logical IDs, held fixed. CloudFormation replaces a resource whose
 * logical ID changes: for the retained data bucket and keys that is a new, empty bucket and
 * a key that decrypts none of the backups. The IDs come from construct paths, so moving a
 * resource to another scope changes them silently; the other tests find resources by their
 * properties and would not notice. This one lists every ID the default stack deploys, with its
 * type, and the stack's output names. A new resource needs no entry; renaming one does, and
 * is a replacement to plan for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build } from './helpers';

const DEPLOYED: [logicalId: string, type: string][] = [
  ['Key961B73FD', 'AWS::KMS::Key'],
  ['PlanSigningKeyC62A5D68', 'AWS::KMS::Key'],
  ['AccessLogBucketDA470295', 'AWS::S3::Bucket'],
  ['AccessLogBucketPolicyF52D2D01', 'AWS::S3::BucketPolicy'],
  ['DataBucketE3889A50', 'AWS::S3::Bucket'],
  ['DataBucketPolicy3231C704', 'AWS::S3::BucketPolicy'],
  ['ActionsDeadLetterQueue12CFEA63', 'AWS::SQS::Queue'],
  ['ActionsDeadLetterQueuePolicy58DA1813', 'AWS::SQS::QueuePolicy'],
  ['ActionsQueueCAE94FF9', 'AWS::SQS::Queue'],
  ['ActionsQueuePolicyA52D33BD', 'AWS::SQS::QueuePolicy'],
  ['PlannerFailureQueueF72661F4', 'AWS::SQS::Queue'],
  ['PlannerFailureQueuePolicyB7DE80ED', 'AWS::SQS::QueuePolicy'],
  ['NotificationTopicEB7A0DF1', 'AWS::SNS::Topic'],
  ['NotificationTopicPolicyF935982E', 'AWS::SNS::TopicPolicy'],
  ['PlannerLogsC228C63E', 'AWS::Logs::LogGroup'],
  ['PlannerRole3278C249', 'AWS::IAM::Role'],
  ['PlannerRoleDefaultPolicyFEF876CE', 'AWS::IAM::Policy'],
  ['PlannerD1424F44', 'AWS::Lambda::Function'],
  ['PlannerEventInvokeConfig3F45C7B7', 'AWS::Lambda::EventInvokeConfig'],
  ['ExecutorLogs2D9990C3', 'AWS::Logs::LogGroup'],
  ['ExecutorRole35102719', 'AWS::IAM::Role'],
  ['ExecutorRoleDefaultPolicyB7C95C9A', 'AWS::IAM::Policy'],
  ['ExecutorB07C39A8', 'AWS::Lambda::Function'],
  ['ExecutorSqsEventSourceOffboardActionsQueue6114D09FA5F9FEF6', 'AWS::Lambda::EventSourceMapping'],
  ['OperatorPolicy63C1EB6F', 'AWS::IAM::ManagedPolicy'],
  ['HrDropPolicyA0E22F54', 'AWS::IAM::ManagedPolicy'],
  ['OperatorRole6A7B6B68', 'AWS::IAM::Role'],
  ['HrDropRoleC3AF62E8', 'AWS::IAM::Role'],
  ['PlannerInvokeFromDataBucket', 'AWS::Lambda::Permission'],
  ['SweepSchedulerRole26668078', 'AWS::IAM::Role'],
  ['SweepSchedulerRoleDefaultPolicyE669378F', 'AWS::IAM::Policy'],
  ['SweepSchedule', 'AWS::Scheduler::Schedule'],
  ['ActionsDeadLetterAlarm3AD5E23A', 'AWS::CloudWatch::Alarm'],
  ['PlannerFailuresAlarmCB0D3C71', 'AWS::CloudWatch::Alarm'],
  ['ExecutorErrorsAlarm91BE01C0', 'AWS::CloudWatch::Alarm'],
  ['ExecutorThrottlesAlarm9DBCCCB1', 'AWS::CloudWatch::Alarm'],
  ['PlannerErrorsAlarm5DA30401', 'AWS::CloudWatch::Alarm'],
];

const OUTPUTS = [
  'BucketName', 'ActionQueueUrl', 'ActionDeadLetterQueueUrl', 'NotificationTopicArn', 'OperatorRoleArn', 'OperatorPolicyArn',
  'HrDropRoleArn', 'HrDropPolicyArn', 'PlanSigningKeyArn', 'PlannerFunctionName', 'ExecutorFunctionName',
  'WatcherFunctionName', 'DashboardName', 'DashboardUrl',
];

describe('logical IDs of the deployed stack', () => {
  const template = build().template.toJSON();

  it('every deployed resource keeps its logical ID and type', () => {
    const missing = DEPLOYED.filter(([id, type]) => template.Resources[id]?.Type !== type);
    assert.deepEqual(missing, [], 'these would be replaced on deploy (a retained bucket or key: its data left behind)');
  });

  it('every output keeps its name', () => {
    assert.deepEqual(OUTPUTS.filter((name) => !(name in template.Outputs)), []);
  });
});
