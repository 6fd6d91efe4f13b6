/**
 * Written-down exceptions to the checkers: cdk-nag acknowledgements and checkov skips.
 * Both require a reason, so an exception without one does not compile or throws.
 */
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

function requireReason(what: string, reason: string): void {
  if (reason.trim().length < 20) throw new Error(`${what} needs a written reason, got ${JSON.stringify(reason)}`);
}

/** Acknowledges a cdk-nag finding (`AwsSolutions-XX` or `AwsSolutions-IAM5[...]`) on a construct and its children. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  requireReason(id, reason);
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The finding id cdk-nag's IAM5 gives a wildcard resource, written the way cdk-nag
 * flattens CloudFormation references (`Fn::GetAtt` → `<Id.Arn>`, `Ref` → `<Id>`).
 */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource))}]`;
}

function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\${/g, '<').replace(/}/g, '>');
  const o = node as Record<string, unknown>;
  if (o['Fn::Join']) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (o['Fn::Sub']) return flatten(o['Fn::Sub']);
  if (o['Fn::GetAtt']) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (o['Ref']) return `<${flatten(o['Ref'])}>`;
  return JSON.stringify(node);
}

function cfnResourceOf(resource: IConstruct, what: string): CfnResource {
  const cfn = CfnResource.isCfnResource(resource) ? resource : resource.node.defaultChild;
  if (!cfn || !CfnResource.isCfnResource(cfn)) throw new Error(`${what}: ${resource.node.path} is not a CloudFormation resource`);
  return cfn;
}

/**
 * Ignores a cfn-lint rule on one resource, through the `cfn-lint` template metadata
 * that cfn-lint reads (`Metadata.cfn-lint.config.ignore_checks`). The reason is kept
 * beside it in the template (`Metadata.cfn-lint-reasons`), as cfn-lint has no field for it.
 */
export function ignoreCfnLint(resource: IConstruct, rule: string, reason: string): void {
  requireReason(rule, reason);
  const cfn = cfnResourceOf(resource, `cfn-lint ignore ${rule}`);
  const config = (cfn.getMetadata('cfn-lint') as { config: { ignore_checks: string[] } } | undefined) ?? { config: { ignore_checks: [] } };
  config.config.ignore_checks.push(rule);
  cfn.addMetadata('cfn-lint', config);
  const reasons = (cfn.getMetadata('cfn-lint-reasons') as Record<string, string> | undefined) ?? {};
  reasons[rule] = reason;
  cfn.addMetadata('cfn-lint-reasons', reasons);
}

/**
 * Skips a checkov check on one resource, through the `checkov` template metadata that
 * checkov reads (`Metadata.checkov.skip[].{id, comment}`), so the reason travels with
 * the template.
 */
export function skipCheckov(resource: IConstruct, id: string, reason: string): void {
  requireReason(id, reason);
  const cfn = cfnResourceOf(resource, `checkov skip ${id}`);
  const metadata = (cfn.getMetadata('checkov') as { skip: { id: string; comment: string }[] } | undefined) ?? { skip: [] };
  metadata.skip.push({ id, comment: reason });
  cfn.addMetadata('checkov', metadata);
}
