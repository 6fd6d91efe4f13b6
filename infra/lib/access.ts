/**
 * People's access: what the docs tell an admin to grant, as managed policies (attach them
 * to your own roles or permission sets) and as roles that carry them (assumable by this
 * account's principals that are allowed sts:AssumeRole on them). Owns the operators' and
 * approvers' OperatorPolicy and OperatorRole, and the HR system's HrDropPolicy and HrDropRole.
 *
 * Its resources are added to the stack itself, not to a construct of its own, so their
 * logical IDs stay those of the deployed stack (see offboard-stack.ts).
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { acknowledge, wildcardResourceFinding } from './acknowledge';
import { OPERATOR_WRITES, Storage } from './storage';

export interface PeopleAccessProps {
  readonly storage: Storage;
}

export class PeopleAccess {
  /** Upload rosters, approve held runs, ask for undos and cancels, read runs (offboard approve, status, undo, cancel, report). */
  public readonly operatorPolicy: iam.ManagedPolicy;
  /** Carries operatorPolicy; with approverPrincipalArns, the only principals that may write approvals/. */
  public readonly operatorRole: iam.Role;
  /** Drop termination files under hr/, nothing else. */
  public readonly hrDropPolicy: iam.ManagedPolicy;
  /** Carries hrDropPolicy, for the HR system. */
  public readonly hrDropRole: iam.Role;

  constructor(scope: Stack, props: PeopleAccessProps) {
    const { storage } = props;
    const objects = (prefix: string) => storage.objectsUnder(prefix);

    const stackKeyUse = new iam.PolicyStatement({ sid: 'UseTheStackKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [storage.key.keyArn] });
    this.operatorPolicy = new iam.ManagedPolicy(scope, 'OperatorPolicy', {
      description: 'Offboard operators and approvers: upload rosters, approve held runs, ask for undos, read runs (offboard approve, status, undo, report)',
      statements: [
        new iam.PolicyStatement({ sid: 'UploadRostersApprovalsUndosAndCancels', actions: ['s3:PutObject'], resources: OPERATOR_WRITES.map(objects) }),
        new iam.PolicyStatement({ sid: 'ReadRunsAndApprovals', actions: ['s3:GetObject'], resources: ['runs/', 'approvals/'].map(objects) }),
        new iam.PolicyStatement({ sid: 'ListDataBucket', actions: ['s3:ListBucket'], resources: [storage.bucketArn] }),
        stackKeyUse,
      ],
    });
    this.hrDropPolicy = new iam.ManagedPolicy(scope, 'HrDropPolicy', {
      description: 'The HR system: drop termination files under hr/, nothing else',
      statements: [
        new iam.PolicyStatement({ sid: 'DropTerminationFiles', actions: ['s3:PutObject'], resources: [objects('hr/')] }),
        new iam.PolicyStatement({ sid: 'EncryptUploads', actions: ['kms:GenerateDataKey'], resources: [storage.key.keyArn] }),
      ],
    });
    for (const [policy, prefixes] of [[this.operatorPolicy, [...OPERATOR_WRITES, 'runs/', 'approvals/']], [this.hrDropPolicy, ['hr/']]] as const) {
      for (const prefix of new Set(prefixes)) {
        acknowledge(policy, wildcardResourceFinding(scope, objects(prefix)), `Object keys under ${prefix} are named by people and run ids at run time; a key prefix can only be written as "${prefix}*".`);
      }
    }
    this.operatorRole = new iam.Role(scope, 'OperatorRole', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: 'Offboard operators and approvers (OperatorPolicy): the only principal besides approverPrincipalArns that may write approvals/',
      managedPolicies: [this.operatorPolicy],
    });
    this.hrDropRole = new iam.Role(scope, 'HrDropRole', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: 'The HR system (HrDropPolicy): drops termination files under hr/',
      managedPolicies: [this.hrDropPolicy],
    });
  }
}
