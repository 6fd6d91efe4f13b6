/**
 * Shared by the tests: build the stack from a config, and find resources by what they
 * are (their properties), never by logical id.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { validateConfig } from '../lib/config';
import { OffboardStack } from '../lib/offboard-stack';

/** The feature flags of cdk.json, so the tests synthesize what `cdk synth` does. */
export const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'),
).context;

/** A new folder under the system's temporary one, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A folder with no zips in it: the tests never depend on a Rust build being present. */
export const NO_ZIPS_DIR = tempDir('offboard-no-zips-');

export type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, any> };

export function build(overrides: Record<string, unknown> = {}): { app: App; stack: OffboardStack; template: Template } {
  const app = new App({ context: CDK_CONTEXT, outdir: tempDir('offboard-cdk-') });
  const config = validateConfig({ lambdaDir: NO_ZIPS_DIR, placeholderCode: true, ...overrides });
  const stack = new OffboardStack(app, 'Offboard', { config });
  return { app, stack, template: Template.fromStack(stack) };
}

export function resources(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

/** The single resource of a type whose properties satisfy a predicate. */
export function only(template: Template, type: string, what: string, predicate: (r: Resource) => boolean): [string, Resource] {
  const found = resources(template, type).filter(([, r]) => predicate(r));
  if (found.length !== 1) throw new Error(`expected one ${type} that is ${what}, found ${found.length}`);
  return found[0];
}

export type FunctionName = 'planner' | 'executor' | 'watcher';

/** A function by the start of its description ("Offboard planner", "Offboard executor", "Offboard watcher"). */
export function fn(template: Template, name: FunctionName): [string, Resource] {
  return only(template, 'AWS::Lambda::Function', `the ${name}`, (r) => String(r.Properties.Description ?? '').startsWith(`Offboard ${name}:`));
}

/** The action queue: the queue with a redrive policy. */
export function actionQueue(template: Template): [string, Resource] {
  return only(template, 'AWS::SQS::Queue', 'the action queue', (r) => r.Properties.RedrivePolicy !== undefined);
}

/** The queue a redrive policy points at. */
export function deadLetterQueueOf(template: Template, queue: Resource): [string, Resource] {
  const target = queue.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
  return [target, template.toJSON().Resources[target]];
}

/** The planner's async-invoke dead-letter queue: the one its DeadLetterConfig names. */
export function plannerFailureQueue(template: Template): [string, Resource] {
  const [, planner] = fn(template, 'planner');
  const target = planner.Properties.DeadLetterConfig.TargetArn['Fn::GetAtt'][0];
  return [target, template.toJSON().Resources[target]];
}

export type Statement = { Sid?: string; Effect: string; Principal?: unknown; Action: string | string[]; Resource: unknown; Condition?: Record<string, any> };

/** Every statement of every identity policy attached to the function's role (inline or AWS::IAM::Policy). */
export function roleStatements(template: Template, name: FunctionName): Statement[] {
  const [, f] = fn(template, name);
  return statementsOfRole(template, f.Properties.Role['Fn::GetAtt'][0]);
}

export function statementsOfRole(template: Template, roleId: string): Statement[] {
  const role = template.toJSON().Resources[roleId] as Resource;
  const inline = (role.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement);
  const attached = resources(template, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles ?? []).some((r: any) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
  return [...inline, ...attached];
}

export function actions(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

export function resourceList(s: Statement): unknown[] {
  return Array.isArray(s.Resource) ? s.Resource : [s.Resource];
}

/**
 * A CloudFormation value written as one string, references as <Id> and <Id.Attr>
 * (as cdk-nag does), so ARNs built with Fn::Join can be compared as text.
 */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const o = value as Record<string, any>;
  if (o['Fn::Join']) return o['Fn::Join'][1].map(flat).join(o['Fn::Join'][0]);
  if (o['Fn::GetAtt']) return `<${o['Fn::GetAtt'][0]}.${o['Fn::GetAtt'][1]}>`;
  if (o.Ref) return `<${o.Ref}>`;
  return JSON.stringify(value);
}

/** Statements that grant any of the given actions. */
export function granting(statements: Statement[], ...wanted: string[]): Statement[] {
  return statements.filter((s) => s.Effect === 'Allow' && actions(s).some((a) => wanted.includes(a)));
}
