"""IAM on the local stack, from the template `infra/` synthesizes.

The local stack (tests/src/stack.rs) creates its bucket, queues, topic and parameters,
then runs this script once. It reads the synthesized CloudFormation template and, for
every principal Offboard has, creates in moto the role AWS would have:

- `planner` and `executor`: the functions' roles, with every statement the template
  attaches to them (inline policies and AWS::IAM::Policy resources);
- `operator`: the role with the stack's OperatorPolicy (uploads, approvals, undos,
  `offboard approve/status/undo/report`);
- `hr`: the role with the stack's HrDropPolicy (the HR system's drop under `hr/`).

References in the statements (`Ref`, `Fn::GetAtt`, `Fn::Join`, the pseudo parameters)
are resolved to the local resources: the action queue is the queue with a redrive
policy, its DLQ the queue that policy names, the topic the one SNS topic, the plan
signing key the HMAC key (created here in moto's KMS). A reference to something the
local stack does not have (log groups, the stack's encryption key, the planner's
failure queue) resolves to an ARN that matches nothing, so it grants nothing here.
No statement is written by hand: what a role may do locally is what the template says.

A `harness` user gets `*`: it is the test itself and AWS's own services (S3's event
delivery, Lambda's event source mapping, reading results to assert on them).

Last, IAM checks are switched on (`/moto-api/reset-auth` with 0): from then on every
request must be signed by one of these principals and is allowed only what its
policies allow. The script prints one JSON object: the credentials of each principal,
the resolved statements of each role, the bucket name the template computes, and the
plan signing key's ARN.

Usage: stack_iam.py ENDPOINT TEMPLATE LOCALS_JSON
LOCALS_JSON: {"account", "region", "action_queue": {"url", "arn"}, "dlq": {"url", "arn"}, "topic_arn"}

A test that needs one call to fail as AWS would fail it (AccessDenied), and then to
heal, adds and removes an inline policy on a role, as the harness:
    stack_iam.py role-policy ENDPOINT REGION KEYS_JSON ROLE POLICY_NAME [DOCUMENT_JSON]
(no DOCUMENT_JSON: the policy is removed).
"""

import json
import sys
import urllib.request

import boto3

SESSION_SECONDS = 43200


def fail(message):
    print(f"stack_iam.py: {message}", file=sys.stderr)
    sys.exit(1)


def only(resources, kind, what, predicate):
    found = [(rid, r) for rid, r in resources.items() if r["Type"] == kind and predicate(r.get("Properties", {}))]
    if len(found) != 1:
        fail(f"expected one {kind} that is {what} in the template, found {len(found)}")
    return found[0]


class Resolver:
    def __init__(self, account, region, local):
        self.pseudo = {
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        # logical id -> {"Ref": value, "Arn": value}
        self.local = local

    def reference(self, logical_id, attribute):
        known = self.local.get(logical_id, {})
        if attribute in known:
            return known[attribute]
        # Not part of the local stack: an ARN that names nothing here.
        return f"arn:aws:offboard-not-local:::{logical_id}/{attribute}"

    def resolve(self, value):
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            name = value["Ref"]
            return self.pseudo[name] if name in self.pseudo else self.reference(name, "Ref")
        if set(value) == {"Fn::GetAtt"}:
            logical_id, attribute = value["Fn::GetAtt"]
            return self.reference(logical_id, attribute)
        if set(value) == {"Fn::Join"}:
            delimiter, parts = value["Fn::Join"]
            return delimiter.join(str(self.resolve(p)) for p in parts)
        if any(k.startswith("Fn::") for k in value):
            fail(f"cannot resolve {json.dumps(value)}")
        return {k: self.resolve(v) for k, v in value.items()}


def documents_of_role(resources, role_id):
    """Every policy document the template attaches to the role: inline, AWS::IAM::Policy, managed."""
    role = resources[role_id]["Properties"]
    documents = [p["PolicyDocument"] for p in role.get("Policies", [])]
    for resource in resources.values():
        if resource["Type"] == "AWS::IAM::Policy":
            if any(r == {"Ref": role_id} for r in resource["Properties"].get("Roles", [])):
                documents.append(resource["Properties"]["PolicyDocument"])
    for arn in role.get("ManagedPolicyArns", []):
        if not (isinstance(arn, dict) and arn.get("Ref") in resources):
            fail(f"role {role_id} names a managed policy outside the template: {arn}")
        documents.append(resources[arn["Ref"]]["Properties"]["PolicyDocument"])
    return documents


def main():
    endpoint, template_path, locals_json = sys.argv[1:4]
    local = json.loads(locals_json)
    account, region = local["account"], local["region"]
    with open(template_path, encoding="utf-8") as f:
        resources = json.load(f)["Resources"]

    client = lambda service, **keys: boto3.client(  # noqa: E731
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=keys.get("id", "test"),
        aws_secret_access_key=keys.get("secret", "test"),
        aws_session_token=keys.get("token"),
    )
    iam, kms = client("iam"), client("kms")

    # The local resources, matched to the template's by what they are.
    action_queue_id, action_queue = only(
        resources, "AWS::SQS::Queue", "the action queue", lambda p: "RedrivePolicy" in p
    )
    dlq_id = action_queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    topic_id, _ = only(resources, "AWS::SNS::Topic", "the topic", lambda p: True)
    plan_key_id, plan_key_resource = only(
        resources, "AWS::KMS::Key", "the plan signing key", lambda p: p.get("KeySpec") == "HMAC_256"
    )
    key_properties = plan_key_resource["Properties"]
    plan_key_arn = kms.create_key(
        KeySpec=key_properties["KeySpec"],
        KeyUsage=key_properties["KeyUsage"],
        Description=key_properties.get("Description", ""),
    )["KeyMetadata"]["Arn"]
    resolver = Resolver(
        account,
        region,
        {
            action_queue_id: {"Ref": local["action_queue"]["url"], "Arn": local["action_queue"]["arn"]},
            dlq_id: {"Ref": local["dlq"]["url"], "Arn": local["dlq"]["arn"]},
            topic_id: {"Ref": local["topic_arn"], "TopicName": local["topic_arn"].rsplit(":", 1)[-1]},
            plan_key_id: {"Ref": plan_key_arn.rsplit("/", 1)[-1], "Arn": plan_key_arn},
        },
    )

    bucket_output = next(
        (o for name, o in json.load(open(template_path, encoding="utf-8")).get("Outputs", {}).items() if name == "BucketName"),
        None,
    )
    if bucket_output is None:
        fail("the template has no BucketName output")
    bucket = resolver.resolve(bucket_output["Value"])

    # The harness: the test itself, and AWS's own services.
    iam.create_user(UserName="offboard-harness")
    iam.put_user_policy(
        UserName="offboard-harness",
        PolicyName="everything",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )
    harness_key = iam.create_access_key(UserName="offboard-harness")["AccessKey"]
    harness_arn = f"arn:aws:iam::{account}:user/offboard-harness"

    def role_by_description(start):
        return only(resources, "AWS::IAM::Role", f"described '{start}...'", lambda p: str(p.get("Description", "")).startswith(start))[0]

    principals = {
        "planner": role_by_description("Offboard planner:"),
        "executor": role_by_description("Offboard executor:"),
        "watcher": role_by_description("Offboard watcher:"),
        "operator": role_by_description("Offboard operators"),
        "hr": role_by_description("The HR system"),
    }
    statements = {}
    for name, role_id in principals.items():
        role_name = f"offboard-{name}"
        iam.create_role(
            RoleName=role_name,
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"AWS": harness_arn}, "Action": "sts:AssumeRole"}],
                }
            ),
            MaxSessionDuration=SESSION_SECONDS,
        )
        resolved = [resolver.resolve(d) for d in documents_of_role(resources, role_id)]
        for n, document in enumerate(resolved):
            iam.put_role_policy(RoleName=role_name, PolicyName=f"template-{n}", PolicyDocument=json.dumps(document))
        statements[name] = [s for d in resolved for s in d["Statement"]]

    # IAM checks on: every request from now on is signed and checked.
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"}
    )
    urllib.request.urlopen(request).read()

    sts = client("sts", id=harness_key["AccessKeyId"], secret=harness_key["SecretAccessKey"])
    credentials = {
        "harness": {"access_key_id": harness_key["AccessKeyId"], "secret_access_key": harness_key["SecretAccessKey"]}
    }
    for name in principals:
        assumed = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/offboard-{name}",
            RoleSessionName=f"local-{name}",
            DurationSeconds=SESSION_SECONDS,
        )["Credentials"]
        credentials[name] = {
            "access_key_id": assumed["AccessKeyId"],
            "secret_access_key": assumed["SecretAccessKey"],
            "session_token": assumed["SessionToken"],
        }
    json.dump({"bucket": bucket, "plan_key_arn": plan_key_arn, "credentials": credentials, "statements": statements}, sys.stdout)


def role_policy():
    endpoint, region, keys_json, role, name = sys.argv[2:7]
    keys = json.loads(keys_json)
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=keys["access_key_id"],
        aws_secret_access_key=keys["secret_access_key"],
    )
    if len(sys.argv) > 7:
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=sys.argv[7])
    else:
        iam.delete_role_policy(RoleName=role, PolicyName=name)


if __name__ == "__main__":
    if sys.argv[1:2] == ["role-policy"]:
        role_policy()
    else:
        main()
