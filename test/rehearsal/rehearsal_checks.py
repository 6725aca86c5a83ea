"""What the rehearsal does after moto is up: bootstrap, deploy, read back, judge, report.

Each check reads the emulator's state through the AWS APIs (boto3 against moto), in the account and
region the assembly names, and compares it with the assembly and the estate config. A check that
cannot work out what it expects fails rather than passing.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

# Types whose handler moto does not run (see the launcher's custom-resource patch).
CUSTOM_PREFIXES = ("Custom::", "AWS::CloudFormation::CustomResource")
COMPLETE = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
# Fixed emulator noise that is not an error of the estate: none today. A line is an error when it is
# a Python traceback, an ERROR record or a 5xx response.
ERROR_LINE = re.compile(r"Traceback \(most recent call last\)|^ERROR |\" 5\d\d -")


def walk(value: Any, key: str) -> list[Any]:
    """Every value of `key` nested anywhere in a template fragment."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                found.append(v)
            found += walk(v, key)
    elif isinstance(value, list):
        for v in value:
            found += walk(v, key)
    return found


def stack_references(stack: dict[str, Any]) -> list[dict[str, str]]:
    """The stack's Fn::GetStackOutput references, with the account they point into."""
    refs = []
    for ref in walk(stack["template"]["Resources"], "Fn::GetStackOutput") + walk(
            stack["template"].get("Outputs", {}), "Fn::GetStackOutput"):
        account = ref["RoleArn"].split(":")[4] if isinstance(ref.get("RoleArn"), str) else stack["account"]
        refs.append({"stack": ref["StackName"], "region": ref.get("Region", stack["region"]), "account": account,
                     "output": ref["OutputName"]})
    return refs


class Judge:
    def __init__(self, r: Any) -> None:
        self.r = r
        self.stacks: list[dict[str, Any]] = r.stacks()
        self.deployed: dict[str, dict[str, Any]] = {}  # stack id -> DescribeStacks entry
        self.physical: dict[str, dict[str, str]] = {}  # stack id -> logical id -> physical id
        self.checked: dict[str, int] = {}

    def count(self, what: str) -> None:
        with self.r.lock:
            self.checked[what] = self.checked.get(what, 0) + 1

    def c(self, service: str, stack: dict[str, Any], region: str | None = None) -> Any:
        return self.r.client(service, stack["account"], region or stack["region"])

    # --- deploy -------------------------------------------------------------------------------
    def deploy(self) -> None:
        r = self.r
        deployer = r.deployer_account()
        envs = sorted({(s["account"], s["region"]) for s in self.stacks})
        t = time.time()
        r.operator_credentials(sorted({a for a, _ in envs} | {deployer}))
        r.timings["credentials"] = round(time.time() - t, 1)
        t = time.time()
        # One CLI run bootstraps every account and region; a credential plugin gives it each account's
        # credentials. Every account trusts the deploying account, as the README tells a platform
        # engineer to do.
        r.cli([(["bootstrap", *[f"aws://{a}/{g}" for a, g in envs], "--trust", deployer, "--trust-for-lookup",
                 deployer, "--cloudformation-execution-policies", r.execution_policy,
                 "--plugin", str(r.credential_plugin)], deployer, "bootstrap")])
        r.timings["bootstrap"] = round(time.time() - t, 1)
        if r.failures:
            return
        # One deploy of every stack, from the deploying account: the CLI assumes each environment's
        # bootstrap roles and orders the stacks by their dependencies.
        t = time.time()
        which = ["**"] if r.selected is None else [*sorted(s["display"] for s in self.stacks), "--exclusively"]
        r.cli([(["deploy", *which, "--require-approval", "never", "--concurrency", "4",
                 "--progress", "events"], deployer, "deploy")])
        r.timings["deploy"] = round(time.time() - t, 1)

    # --- server log ---------------------------------------------------------------------------
    def server_log(self) -> None:
        text = self.r.log_path.read_text(errors="replace")
        errors = [line for line in text.splitlines() if ERROR_LINE.search(line)]
        self.r.check(not errors, f"the server log has {len(errors)} error line(s), first: {errors[:3]}")

    # --- stacks -------------------------------------------------------------------------------
    def stacks_exist(self) -> None:
        for s in self.stacks:
            self.count("stacks")
            try:
                found = self.c("cloudformation", s).describe_stacks(StackName=s["name"])["Stacks"][0]
            except Exception as e:  # noqa: BLE001
                self.r.fail(f"stack {s['display']} ({s['name']}) does not exist in {s['account']}/{s['region']}: {e}")
                continue
            self.deployed[s["id"]] = found
            if found["StackStatus"] not in COMPLETE:
                events = self.c("cloudformation", s).describe_stack_events(StackName=s["name"])["StackEvents"]
                reasons = [e.get("ResourceStatusReason") for e in events if "FAILED" in e["ResourceStatus"]]
                self.r.fail(f"stack {s['display']} is {found['StackStatus']} in {s['account']}/{s['region']}: "
                            f"{reasons[0] if reasons else 'no reason recorded'}")
                continue
            declared = set(s["template"].get("Outputs", {}))
            got = {o["OutputKey"]: o.get("OutputValue") for o in found.get("Outputs", [])}
            for key in sorted(declared):
                self.count("outputs")
                self.r.check(bool(got.get(key)), f"stack {s['display']} lacks its declared output {key}")
            resources = self.c("cloudformation", s).list_stack_resources(StackName=s["name"])
            self.physical[s["id"]] = {x["LogicalResourceId"]: x.get("PhysicalResourceId", "")
                                      for x in resources["StackResourceSummaries"]}
        # Nowhere else: a stack that landed in the deploying account or in another region is wrong.
        places = {(s["account"], s["region"]) for s in self.stacks} | {
            (self.r.deployer_account(), s["region"]) for s in self.stacks}
        for account, region in sorted(places):
            names = {x["StackName"] for x in self.r.client("cloudformation", account, region).describe_stacks()["Stacks"]}
            for s in self.stacks:
                self.r.check((s["account"], s["region"]) == (account, region) or s["name"] not in names,
                             f"stack {s['display']} also exists in {account}/{region}")
        prod = [s for s in self.stacks if s["terminationProtection"]]
        for s in prod:
            found = self.deployed.get(s["id"])
            if found:
                self.count("termination protection")
                self.r.check(found.get("EnableTerminationProtection") is True,
                             f"stack {s['display']} asks for termination protection but it is off")

    def references(self) -> None:
        by_name = {(s["account"], s["region"], s["name"]): s for s in self.stacks}
        for s in self.stacks:
            seen = set()
            for ref in stack_references(s):
                key = (ref["account"], ref["region"], ref["stack"], ref["output"])
                if key in seen:
                    continue
                seen.add(key)
                self.count("cross-stack references")
                producer = by_name.get((ref["account"], ref["region"], ref["stack"]))
                where = f"{ref['stack']}.{ref['output']} in {ref['account']}/{ref['region']}"
                if not self.r.check(producer is not None, f"stack {s['display']} reads {where}: no such stack"):
                    continue
                deployed = self.deployed.get(producer["id"], {})
                value = {o["OutputKey"]: o.get("OutputValue") for o in deployed.get("Outputs", [])}.get(ref["output"])
                self.r.check(bool(value), f"stack {s['display']} reads {where}: the output is missing")

    def not_modelled(self) -> dict[str, list[str]]:
        modelled = set(self.r.moto_info["modelled"])
        types = {r["Type"] for s in self.stacks for r in s["template"]["Resources"].values()}
        custom = sorted(t for t in types if t.startswith(CUSTOM_PREFIXES))
        missing = sorted(t for t in types if t not in modelled and t not in custom and t != "AWS::CDK::Metadata")
        committed = list(json.loads(self.r.not_modelled_file.read_text())["types"])
        new, gone = sorted(set(missing) - set(committed)), sorted(set(committed) - set(missing))
        self.r.check(not new, f"resource types the emulator does not model and the committed list lacks: {new} "
                              f"(add them to {self.r.not_modelled_file.name} and to the README)")
        # With a subset of the stacks deployed, types of the others are simply absent.
        self.r.check(not gone or self.r.selected is not None,
                     f"the committed list names types that are now modelled or gone: {gone}")
        return {"notModelled": missing, "custom": custom}

    # --- resolving what a template asks for -----------------------------------------------------
    def resolve(self, s: dict[str, Any], value: Any) -> Any:
        """A template value as deployed, for the few intrinsics the checks compare; None if unknown."""
        if isinstance(value, str):
            return value
        if not isinstance(value, dict):
            return None
        if "Ref" in value:
            return {"AWS::AccountId": s["account"], "AWS::Region": s["region"],
                    "AWS::Partition": "aws"}.get(value["Ref"]) or self.physical.get(s["id"], {}).get(value["Ref"])
        if "Fn::GetAtt" in value:
            logical, attr = value["Fn::GetAtt"]
            physical = self.physical.get(s["id"], {}).get(logical)
            kind = s["template"]["Resources"].get(logical, {}).get("Type")
            if physical and kind == "AWS::KMS::Key" and attr == "Arn":
                return f"arn:aws:kms:{s['region']}:{s['account']}:key/{physical}"
            return None
        if "Fn::GetStackOutput" in value:
            ref = value["Fn::GetStackOutput"]
            account = ref["RoleArn"].split(":")[4] if isinstance(ref.get("RoleArn"), str) else s["account"]
            for other in self.stacks:
                if (other["account"], other["region"], other["name"]) == (account, ref.get("Region", s["region"]),
                                                                         ref["StackName"]):
                    outputs = self.deployed.get(other["id"], {}).get("Outputs", [])
                    return {o["OutputKey"]: o.get("OutputValue") for o in outputs}.get(ref["OutputName"])
            return None
        if "Fn::Join" in value:
            parts = [self.resolve(s, p) for p in value["Fn::Join"][1]]
            return None if any(p is None for p in parts) else value["Fn::Join"][0].join(parts)
        return None

    def resources(self, s: dict[str, Any], kind: str) -> list[tuple[str, dict[str, Any], str]]:
        out = []
        for logical, res in s["template"]["Resources"].items():
            if res["Type"] == kind:
                out.append((logical, res.get("Properties", {}), self.physical.get(s["id"], {}).get(logical, "")))
        return out

    def key_id(self, s: dict[str, Any], value: Any, what: str) -> str | None:
        resolved = self.resolve(s, value)
        if not self.r.check(bool(resolved), f"{what}: cannot work out which key the template names ({value})"):
            return None
        return str(resolved).split("/")[-1]

    # --- read-back per resource kind --------------------------------------------------------------
    def keys(self, s: dict[str, Any]) -> None:
        kms = self.c("kms", s)
        for logical, props, physical in self.resources(s, "AWS::KMS::Key"):
            self.count("keys")
            where = f"{s['display']}/{logical}"
            try:
                meta = kms.describe_key(KeyId=physical)["KeyMetadata"]
                rotation = kms.get_key_rotation_status(KeyId=physical)["KeyRotationEnabled"]
            except Exception as e:  # noqa: BLE001
                self.r.fail(f"key {where} cannot be read back in {s['account']}/{s['region']}: {e}")
                continue
            self.r.check(meta["KeyState"] == "Enabled", f"key {where} is {meta['KeyState']}")
            self.r.check(rotation is True, f"key {where} does not rotate")
        aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
        for logical, props, _ in self.resources(s, "AWS::KMS::Alias"):
            self.count("key aliases")
            name = props.get("AliasName")
            target = self.key_id(s, props.get("TargetKeyId"), f"alias {s['display']}/{logical}")
            if self.r.check(name in aliases, f"alias {name} of {s['display']} is missing in {s['account']}/{s['region']}"):
                self.r.check(target is None or aliases[name] == target,
                             f"alias {name} points at {aliases[name]}, not at {target}")

    def functions(self, s: dict[str, Any]) -> None:
        lam = self.c("lambda", s)
        for logical, props, physical in self.resources(s, "AWS::Lambda::Function"):
            self.count("functions")
            try:
                fn = lam.get_function(FunctionName=physical)
            except Exception as e:  # noqa: BLE001
                self.r.fail(f"function {s['display']}/{logical} cannot be read back: {e}")
                continue
            self.r.check(fn["Configuration"].get("CodeSize", 0) > 0 and bool(fn["Configuration"].get("CodeSha256")),
                         f"function {s['display']}/{logical} has no code (asset not published?)")

    def roles(self, s: dict[str, Any], env: dict[str, Any] | None) -> None:
        iam = self.c("iam", s)
        for logical, props, physical in self.resources(s, "AWS::IAM::Role"):
            self.count("roles")
            where = f"role {s['display']}/{logical}"
            try:
                role = iam.get_role(RoleName=physical)["Role"]
            except Exception as e:  # noqa: BLE001
                self.r.fail(f"{where} cannot be read back: {e}")
                continue
            got = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            if "PermissionsBoundary" not in props:
                # Every role of an environment carries the workload boundary; outside them (the
                # delivery and organization stacks) the template decides.
                self.r.check(env is None, f"{where} in environment {env and env['name']} has no permissions boundary")
                continue
            want = self.resolve(s, props["PermissionsBoundary"])
            if self.r.check(bool(want), f"{where}: cannot work out its boundary ({props['PermissionsBoundary']})"):
                self.r.check(got == want, f"{where} has boundary {got}, not {want}")
                try:
                    iam.get_policy(PolicyArn=want)
                except Exception:  # noqa: BLE001
                    self.r.fail(f"{where}: its boundary {want} does not exist in {s['account']}")

    def buckets(self, s: dict[str, Any]) -> None:
        s3 = self.c("s3", s)
        for logical, props, physical in self.resources(s, "AWS::S3::Bucket"):
            self.count("buckets")
            where = f"bucket {s['display']}/{logical}"
            if props.get("BucketName"):
                self.count("named buckets")
                self.r.check(physical == props["BucketName"], f"{where} is named {physical}, not {props['BucketName']}")
            try:
                location = s3.get_bucket_location(Bucket=physical).get("LocationConstraint") or "us-east-1"
                rules = s3.get_bucket_encryption(Bucket=physical)["ServerSideEncryptionConfiguration"]["Rules"]
            except Exception as e:  # noqa: BLE001
                self.r.fail(f"{where} ({physical}) cannot be read back in {s['account']}: {e}")
                continue
            self.r.check(location == s["region"], f"{where} ({physical}) is in {location}, not {s['region']}")
            default = rules[0]["ApplyServerSideEncryptionByDefault"] if rules else {}
            wanted = (props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration", [{}])[0].get(
                "ServerSideEncryptionByDefault", {})
            if wanted.get("SSEAlgorithm") == "aws:kms":
                self.count("buckets under a customer key")
                key = self.key_id(s, wanted.get("KMSMasterKeyID"), where)
                got = str(default.get("KMSMasterKeyID", "")).split("/")[-1]
                self.r.check(default.get("SSEAlgorithm") == "aws:kms" and key is not None and got == key,
                             f"{where} ({physical}) is encrypted with {default}, not the key {key}")
            else:
                # Access-log buckets: S3 server access logging cannot write to SSE-KMS buckets.
                self.r.check(bool(default.get("SSEAlgorithm")), f"{where} ({physical}) has no default encryption")

    def replication(self, s: dict[str, Any], env: dict[str, Any] | None) -> None:
        """Replication names its destination bucket and key by ARN strings: a contract between stacks
        and regions that synth cannot check. The destination must exist in the configured replica
        region, and the replica key named must be the key that destination is encrypted with."""
        for logical, props, physical in self.resources(s, "AWS::S3::Bucket"):
            for rule in (props.get("ReplicationConfiguration") or {}).get("Rules", []):
                self.count("replication destinations")
                where = f"bucket {s['display']}/{logical} replicates"
                dest = self.resolve(s, rule.get("Destination", {}).get("Bucket"))
                if not self.r.check(isinstance(dest, str) and dest.startswith("arn:aws:s3:::"),
                                    f"{where} to a destination it cannot name ({rule.get('Destination')})"):
                    continue
                name = dest.split(":::")[1]
                account = rule["Destination"].get("Account") or s["account"]
                s3 = self.r.client("s3", account, s["region"])
                try:
                    region = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
                    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
                except Exception as e:  # noqa: BLE001
                    self.r.fail(f"{where} to {name}, which does not exist in {account}: {e}")
                    continue
                if env is not None:
                    self.r.check(region == env["auditReplicaRegion"],
                                 f"{where} to {name} in {region}, not the replica region {env['auditReplicaRegion']}")
                replica_key = self.resolve(s, (rule["Destination"].get("EncryptionConfiguration") or {}).get(
                    "ReplicaKmsKeyID"))
                if not replica_key:
                    continue
                try:
                    key = self.r.client("kms", account, region).describe_key(KeyId=replica_key)["KeyMetadata"]["KeyId"]
                except Exception as e:  # noqa: BLE001
                    self.r.fail(f"{where} under {replica_key}, which does not exist in {account}/{region}: {e}")
                    continue
                dest_key = str(rules[0]["ApplyServerSideEncryptionByDefault"].get("KMSMasterKeyID", "")).split("/")[-1]
                self.r.check(dest_key == key, f"{where} under {replica_key} ({key}) but {name} is encrypted with {dest_key}")

    def log_groups(self, s: dict[str, Any], env: dict[str, Any] | None) -> None:
        logs = self.c("logs", s)
        for logical, props, physical in self.resources(s, "AWS::Logs::LogGroup"):
            self.count("log groups")
            where = f"log group {s['display']}/{logical}"
            found = [g for g in logs.describe_log_groups(logGroupNamePrefix=physical)["logGroups"]
                     if g["logGroupName"] == physical]
            if not self.r.check(bool(found), f"{where} ({physical}) is missing in {s['account']}/{s['region']}"):
                continue
            want = env["logRetentionDays"] if env else props.get("RetentionInDays")
            self.r.check(found[0].get("retentionInDays") == want,
                         f"{where} keeps logs {found[0].get('retentionInDays')} days, not {want}")
            if "KmsKeyId" in props:
                key = self.key_id(s, props["KmsKeyId"], where)
                self.r.check(key is not None and str(found[0].get("kmsKeyId", "")).endswith(str(key)),
                             f"{where} is encrypted with {found[0].get('kmsKeyId')}, not {key}")

    def endpoint_configs(self, s: dict[str, Any]) -> None:
        sm = self.c("sagemaker", s)
        for logical, props, physical in self.resources(s, "AWS::SageMaker::EndpointConfig"):
            self.count("endpoint configs")
            where = f"endpoint config {s['display']}/{logical}"
            try:
                config = sm.describe_endpoint_config(EndpointConfigName=physical.split("/")[-1])
            except Exception as e:  # noqa: BLE001
                self.r.fail(f"{where} ({physical}) cannot be read back: {e}")
                continue
            capture = config.get("DataCaptureConfig") or {}
            self.r.check(capture.get("EnableCapture") is True and capture.get("InitialSamplingPercentage", 0) > 0
                         and bool(capture.get("DestinationS3Uri")) and bool(capture.get("KmsKeyId")),
                         f"{where} does not capture data under a key: {capture}")

    def network(self, env: dict[str, Any], stacks: list[dict[str, Any]]) -> None:
        home = [s for s in stacks if s["region"] == env["region"]]
        if not self.r.check(bool(home), f"environment {env['name']} has no stack in {env['region']}"):
            return
        ec2 = self.c("ec2", home[0])
        where = f"environment {env['name']} ({env['account']}/{env['region']})"
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": [env["vpcCidr"]]}])["Vpcs"]
        if not self.r.check(len(vpcs) == 1, f"{where}: {len(vpcs)} VPCs with {env['vpcCidr']}, expected 1"):
            return
        self.count("networks")
        vpc = vpcs[0]["VpcId"]
        by_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
        igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])
        self.r.check(not igws["InternetGateways"], f"{where}: an internet gateway is attached to {vpc}")
        nats = ec2.describe_nat_gateways(Filters=by_vpc)["NatGateways"]
        self.r.check(not nats, f"{where}: {vpc} has NAT gateways")
        for table in ec2.describe_route_tables(Filters=by_vpc)["RouteTables"]:
            for route in table["Routes"]:
                self.r.check(not str(route.get("GatewayId", "")).startswith("igw-") and not route.get("NatGatewayId")
                             and route.get("DestinationCidrBlock") != "0.0.0.0/0",
                             f"{where}: route table {table['RouteTableId']} has an internet route {route}")
        found = {e["ServiceName"] for e in ec2.describe_vpc_endpoints(Filters=by_vpc)["VpcEndpoints"]}
        wanted = set()
        for s in home:
            for logical, props, _ in self.resources(s, "AWS::EC2::VPCEndpoint"):
                name = self.resolve(s, props.get("ServiceName"))
                if self.r.check(bool(name), f"{where}: cannot work out the service of endpoint {logical}"):
                    wanted.add(name)
        with self.r.lock:
            self.checked["VPC endpoints"] = self.checked.get("VPC endpoints", 0) + len(found)
        for service in ("sagemaker.api", "sagemaker.runtime", "sts", "kms", "logs", "s3"):
            self.r.check(f"com.amazonaws.{env['region']}.{service}" in found,
                         f"{where}: no VPC endpoint for {service} in {vpc}")
        self.r.check(wanted <= found, f"{where}: VPC endpoints missing: {sorted(wanted - found)}")
        flows = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]
        self.r.check(bool(flows), f"{where}: {vpc} has no flow log")

    # --- all of it ----------------------------------------------------------------------------
    def read_back(self) -> None:
        envs = {(e["account"]): e for e in self.r.config["environments"]}
        everything = self.r.selected is None
        for env in self.r.config["environments"]:
            mine = [s for s in self.stacks if s["account"] == env["account"]]
            has_vpc = any(self.resources(s, "AWS::EC2::VPC") for s in mine)
            if everything:
                self.r.check(bool(mine), f"environment {env['name']} has no stack in {env['account']}")
            if everything or has_vpc:
                self.network(env, mine)
            if env.get("flags", {}).get("terminationProtection"):
                for s in mine:
                    self.r.check(s["terminationProtection"],
                                 f"environment {env['name']} asks for termination protection; {s['display']} lacks it")
        def per_stack(s: dict[str, Any]) -> None:
            env = envs.get(s["account"])
            self.keys(s)
            self.functions(s)
            self.roles(s, env)
            self.buckets(s)
            self.replication(s, env)
            self.log_groups(s, env)
            self.endpoint_configs(s)

        # Stacks are read back side by side: each check is a few calls, the server answers in threads.
        with ThreadPoolExecutor(max_workers=8) as pool:
            for done in [pool.submit(per_stack, s) for s in self.stacks if s["id"] in self.physical]:
                done.result()

    def report(self, kinds: dict[str, list[str]]) -> None:
        modelled = set(self.r.moto_info["modelled"])
        per_stack = {}
        times = stack_times(self.r.cli_logs.get("deploy", ""))
        for s in self.stacks:
            types = [r["Type"] for r in s["template"]["Resources"].values() if r["Type"] != "AWS::CDK::Metadata"]
            per_stack[s["display"]] = {
                "stackName": s["name"],
                "environment": f"aws://{s['account']}/{s['region']}",
                "status": self.deployed.get(s["id"], {}).get("StackStatus", "NOT DEPLOYED"),
                "modelled": sum(1 for t in types if t in modelled),
                "notModelled": sorted({t for t in types if t not in modelled and not t.startswith(CUSTOM_PREFIXES)}),
                "notModelledCount": sum(1 for t in types if t not in modelled and not t.startswith(CUSTOM_PREFIXES)),
                "custom": sorted({t for t in types if t.startswith(CUSTOM_PREFIXES)}),
                "customCount": sum(1 for t in types if t.startswith(CUSTOM_PREFIXES)),
                "deploySeconds": times.get(s["name"]),
            }
        report = {
            "label": "deploy mechanics only, not evidence of controls",
            "emulator": f"moto {self.r.moto_info.get('moto')} with {len(self.r.moto_info['patches'])} patches",
            "patches": self.r.moto_info["patches"],
            "passed": not self.r.failures,
            "failures": self.r.failures,
            "checked": self.checked,
            "notModelledTypes": kinds.get("notModelled", []),
            "customResourceTypes": kinds.get("custom", []),
            "timings": self.r.timings,
            "stacks": per_stack,
        }
        (self.r.assembly / "rehearsal.json").write_text(json.dumps(report, indent=2) + "\n")


def stack_times(deploy_log: str) -> dict[str, float]:
    """Per stack, the CLI's own "Deployment time" line."""
    times, current = {}, None
    for line in deploy_log.splitlines():
        m = re.match(r"^✅\s+\S+ \((\S+)\)", line.strip())
        if m:
            current = m.group(1)
        m = re.search(r"Deployment time: ([\d.]+)s", line)
        if m and current:
            times[current] = float(m.group(1))
            current = None
    return times


def run(r: Any) -> None:
    judge = Judge(r)
    kinds: dict[str, list[str]] = {}
    try:
        judge.deploy()
        t = time.time()
        judge.stacks_exist()
        judge.references()
        kinds = judge.not_modelled()
        judge.read_back()
        judge.server_log()
        r.timings["read-back"] = round(time.time() - t, 1)
    finally:
        judge.report(kinds)
    print(f"rehearsal checked: {json.dumps(judge.checked)}", flush=True)


__all__ = ["run", "stack_references", "Path"]
