"""moto's server, patched for the deploy rehearsal of the estate.

Usage: python3 rehearsal/moto_launcher.py PORT

The rehearsal deploys the synthesized estate with the unmodified CDK CLI into moto's
server on 127.0.0.1. Plain moto cannot take that estate (and, worse, reports stacks
complete when it crashed creating them), so this launcher patches moto in memory
before serving. Each patch:
  - says why it exists (its docstring is printed at start-up and lands in the log);
  - checks at start-up that it is still needed (the gap is still there in this moto);
  - checks that it applies cleanly (the code it wraps is still there, shaped as expected).
A patch that is no longer needed or no longer applies stops the launcher with a message
naming it, so a moto upgrade is noticed rather than silently changing the rehearsal.

The patches change deploy mechanics only. None of them makes moto enforce or model a
control; what moto does not model stays unmodelled and is listed by the rehearsal.
"""

from __future__ import annotations

import inspect
import json
import logging
import sys
from typing import Any, Callable

PINNED_MOTO = "5.2.1"

log = logging.getLogger("rehearsal")


class PatchError(RuntimeError):
    pass


PATCHES: list[tuple[str, Callable[[], bool], Callable[[], None], str]] = []


def patch(name: str, needed: Callable[[], bool]) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register a patch: `needed()` probes this moto for the gap; the decorated function applies the fix."""

    def register(apply: Callable[[], None]) -> Callable[[], None]:
        PATCHES.append((name, needed, apply, inspect.getdoc(apply) or ""))
        return apply

    return register


def source_of(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError) as e:
        raise PatchError(f"cannot read the source of {obj!r}: {e}") from e


def require(condition: bool, what: str) -> None:
    if not condition:
        raise PatchError(what)


# --- CloudFormation: failures, outputs, cross-stack references ---------------------------

from moto.cloudformation import models as cfn_models  # noqa: E402
from moto.cloudformation import parsing as cfn_parsing  # noqa: E402
from moto.cloudformation import responses as cfn_responses  # noqa: E402
from moto.cloudformation.exceptions import ValidationError as CfnValidationError  # noqa: E402


@patch(
    "change-set-failure-is-a-failure",
    lambda: "TODO: handle execution errors" in source_of(cfn_models.CloudFormationBackend.execute_change_set),
)
def change_set_failure() -> None:
    """moto's ExecuteChangeSet lets a resource error escape as a 500; the SDK retries, the second
    attempt finds nothing left to create and moto answers CREATE_COMPLETE: a false green. Here a
    failing resource fails the stack the way CloudFormation does (CREATE_FAILED event with the
    reason, stack ROLLBACK_COMPLETE / UPDATE_ROLLBACK_COMPLETE), logged as an ERROR, so the CLI
    exits non-zero with the reason and the server log shows it."""
    original = cfn_models.CloudFormationBackend.execute_change_set
    require(list(inspect.signature(original).parameters) == ["self", "change_set_name", "stack_name"],
            "execute_change_set(change_set_name, stack_name) changed shape")

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self.change_sets.get(change_set_name) or next(
            (cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name), None)
        if change_set is None or change_set.execution_status != "AVAILABLE":
            # A retry of an execution that already ran (or failed) must not run it again.
            if change_set is not None and change_set.execution_status in ("EXECUTE_FAILED", "EXECUTE_COMPLETE"):
                return None
            return original(self, change_set_name, stack_name)
        stack = self.stacks[change_set.stack_id]
        try:
            return original(self, change_set_name, stack_name)
        except Exception as e:  # noqa: BLE001  every resource error fails the stack
            reason = f"{type(e).__name__}: {e}"
            log.error("stack %s (%s/%s) failed: %s", stack.name, self.account_id, self.region_name, reason)
            change_set.execution_status = "EXECUTE_FAILED"
            failed = "ROLLBACK_COMPLETE" if change_set.change_set_type == "CREATE" else "UPDATE_ROLLBACK_COMPLETE"
            stack._add_stack_event("CREATE_FAILED" if change_set.change_set_type == "CREATE" else "UPDATE_FAILED",
                                   resource_status_reason=reason)
            stack._add_stack_event(failed, resource_status_reason=reason)
            stack.status = failed
            stack.status_reason = reason
            return None

    cfn_models.CloudFormationBackend.execute_change_set = execute_change_set


@patch(
    "change-sets-per-stack",
    lambda: "StackName" not in source_of(cfn_responses.CloudFormationResponse.describe_change_set),
)
def change_sets_per_stack() -> None:
    """CloudFormation names a change set within its stack, and the CDK CLI gives every stack's change
    set the same name. moto looks change sets up by name alone, across the account and region, so
    with stacks deployed concurrently it describes or executes another stack's change set: a stack
    then stays REVIEW_IN_PROGRESS while the CLI reports it deployed. Look the name up within the
    StackName the request gives."""

    def resolve(self: Any) -> str:
        name, stack = self._get_param("ChangeSetName"), self._get_param("StackName")
        if name.startswith("arn:") or not stack:
            return name
        for change_set_id, change_set in self.cloudformation_backend.change_sets.items():
            if change_set.change_set_name == name and stack in (change_set.stack_name, change_set.stack_id):
                return change_set_id
        raise CfnValidationError(message=f"ChangeSet [{name}] does not exist for stack {stack}")

    def delete_change_set(self: Any) -> Any:
        self.cloudformation_backend.delete_change_set(change_set_name=resolve(self))
        return cfn_responses.EmptyResult()

    def describe_change_set(self: Any) -> Any:
        return cfn_responses.ActionResult(self.cloudformation_backend.describe_change_set(change_set_name=resolve(self)))

    def execute_change_set(self: Any) -> Any:
        self.cloudformation_backend.execute_change_set(stack_name=self._get_param("StackName"),
                                                       change_set_name=resolve(self))
        return cfn_responses.EmptyResult()

    require(hasattr(cfn_responses, "EmptyResult"), "moto.cloudformation.responses.EmptyResult is gone")
    cfn_responses.CloudFormationResponse.delete_change_set = delete_change_set
    cfn_responses.CloudFormationResponse.describe_change_set = describe_change_set
    cfn_responses.CloudFormationResponse.execute_change_set = execute_change_set


@patch(
    "change-set-stack-outputs",
    lambda: "output_map" not in source_of(cfn_models.ChangeSet.apply),
)
def change_set_outputs() -> None:
    """A stack created through a change set (as the CDK CLI creates every stack) is born with an
    empty template, and moto never rebuilds its outputs or exports after executing the change set,
    so DescribeStacks shows no outputs. Rebuild them from the executed template, as CloudFormation
    reports them."""
    original = cfn_models.ChangeSet.apply

    def apply(self: Any) -> None:
        original(self)
        stack = self.stack
        stack.template = self.template
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        stack.output_map = stack._create_output_map()
        backend = cfn_models.cloudformation_backends[stack.account_id][stack.region_name]
        for export in stack.exports:
            backend.exports[export.name] = export

    cfn_models.ChangeSet.apply = apply


@patch(
    "fn-get-stack-output",
    lambda: "Fn::GetStackOutput" not in source_of(cfn_parsing.clean_json),
)
def get_stack_output() -> None:
    """CDK's weak cross-stack references (and every cross-region or cross-account one) compile to
    Fn::GetStackOutput {StackName, Region, OutputName[, RoleArn]}, which moto does not know: it
    passes the object through unresolved. Resolve it from the named stack in the named region (and
    the RoleArn's account, if given), and fail as CloudFormation does when the stack or the output
    does not exist."""
    original = cfn_parsing.clean_json

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        if isinstance(resource_json, dict) and "Fn::GetStackOutput" in resource_json:
            ref = original(resource_json["Fn::GetStackOutput"], resources_map)
            stack_name, region, output_name = ref.get("StackName"), ref.get("Region"), ref.get("OutputName")
            account = resources_map._account_id
            role_arn = ref.get("RoleArn")
            if role_arn:
                account = role_arn.split(":")[4]
            region = region or resources_map._region_name
            backend = cfn_models.cloudformation_backends[account][region]
            stack = next((s for s in backend.stacks.values()
                          if s.name == stack_name and s.status.endswith("_COMPLETE") and "ROLLBACK" not in s.status
                          and s.status != "DELETE_COMPLETE"), None)
            if stack is None:
                raise CfnValidationError(
                    message=f"Fn::GetStackOutput: stack {stack_name} does not exist in {account}/{region}")
            for output in stack.outputs or []:
                if output["OutputKey"] == output_name:
                    return output["OutputValue"]
            raise CfnValidationError(
                message=f"Fn::GetStackOutput: stack {stack_name} in {account}/{region} has no output {output_name}")
        return original(resource_json, resources_map)

    cfn_parsing.clean_json = clean_json


@patch(
    "termination-protection",
    lambda: not hasattr(cfn_responses.CloudFormationResponse, "update_termination_protection"),
)
def termination_protection() -> None:
    """The CDK CLI calls UpdateTerminationProtection for stacks that ask for it (prod), which moto
    does not implement (the deploy then fails). Store the flag on the stack, so that DescribeStacks
    reports it and the rehearsal can read it back."""

    def update_termination_protection(self: Any) -> Any:
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        stack.enable_termination_protection = self._get_bool_param("EnableTerminationProtection", False)
        return cfn_responses.ActionResult({"StackId": stack.stack_id})

    require(hasattr(cfn_responses, "ActionResult"), "moto.cloudformation.responses.ActionResult is gone")
    cfn_responses.CloudFormationResponse.update_termination_protection = update_termination_protection


@patch(
    "not-modelled-types-resolve",
    lambda: "return None" in source_of(cfn_parsing.resource_class_from_type),
)
def not_modelled_placeholders() -> None:
    """moto skips a resource type it does not model, and a Fn::GetAtt on it then fails the whole stack
    ("references undefined resource") while a Ref on it silently drops the property that holds it.
    Stand such a resource in with a placeholder that has a physical id and ARN-shaped attributes, so
    the rest of the stack deploys; the placeholder does nothing and is logged. The rehearsal lists
    every such type and compares the list with the committed one."""
    original = cfn_parsing.resource_class_from_type

    class NotModelled:  # not a CloudFormationModel: moto would count it as a modelled type
        def __init__(self, resource_type: str, name: str, account_id: str, region_name: str) -> None:
            self.resource_type = resource_type
            self.name = name
            self.account_id = account_id
            self.region_name = region_name

        @staticmethod
        def cloudformation_type() -> str:
            return "?"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return True

        @property
        def physical_resource_id(self) -> str:
            return self.name

        def get_cfn_attribute(self, attribute_name: str) -> str:
            service, kind = self.resource_type.split("::")[1:3]
            return (f"arn:aws:{service.lower()}:{self.region_name}:{self.account_id}:"
                    f"{kind.lower()}/{self.name}/{attribute_name}")

        @classmethod
        def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str, **kwargs: Any) -> Any:
            log.warning("not modelled: %s %s stands in as a placeholder", kwargs["ResourceType"], kwargs["LogicalId"])
            return cls(kwargs["ResourceType"], resource_name, account_id, region_name)

        def is_created(self) -> bool:
            return True

        def delete(self, account_id: str, region_name: str) -> None:
            return None

    def resource_class_from_type(resource_type: str) -> Any:
        found = original(resource_type)
        if found is None and resource_type not in cfn_parsing.NULL_MODELS:
            return NotModelled
        return found

    cfn_parsing.resource_class_from_type = resource_class_from_type


# --- Custom resources ----------------------------------------------------------------------

from moto.cloudformation.custom_model import CustomModel  # noqa: E402


@patch(
    "custom-resources-without-docker",
    lambda: "fn.invoke" in source_of(CustomModel.create_from_cloudformation_json),
)
def custom_resources() -> None:
    """moto runs a custom resource's handler in Docker, which the machines here do not have; the
    resource then never completes. Check that its ServiceToken names a function deployed in the
    same account and region (a real wiring error fails here), then complete it without running
    the handler. What the handler does is not rehearsed; the rehearsal lists these resources."""
    from moto.awslambda import lambda_backends
    from moto.cloudformation import cloudformation_backends

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> Any:
        token = cloudformation_json["Properties"]["ServiceToken"]
        lambda_backends[account_id][region_name].get_function(token)  # raises if the handler is missing
        resource = CustomModel(region_name, "rehearsal", kwargs["LogicalId"], resource_name)
        stack = cloudformation_backends[account_id][region_name].get_stack(kwargs["StackId"])
        stack.add_custom_resource(resource)
        resource.set_data({})
        log.warning("custom resource %s (%s) completed without running its handler", kwargs["LogicalId"],
                    kwargs["ResourceType"])
        return resource

    CustomModel.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


# --- KMS -------------------------------------------------------------------------------------

from moto.kms import models as kms_models  # noqa: E402


@patch(
    "kms-keys-from-cloudformation",
    lambda: 'tags=properties.get("Tags", [])' in source_of(kms_models.Key.create_from_cloudformation_json)
    and 'policy=properties["KeyPolicy"]' in source_of(kms_models.Key.create_from_cloudformation_json),
)
def kms_keys() -> None:
    """moto hands an AWS::KMS::Key's CloudFormation properties to KMS's own API unconverted: tags as
    {Key, Value} where KMS expects {TagKey, TagValue} (KeyError 'TagKey' on every tagged key), and
    the key policy as an object where KMS keeps a JSON string (every later DescribeKey then answers
    500). Convert both."""
    original = kms_models.Key.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        properties = cloudformation_json.get("Properties", {})
        tags = properties.get("Tags") or []
        properties["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} if "Key" in t else t for t in tags]
        if isinstance(properties.get("KeyPolicy"), dict):
            properties["KeyPolicy"] = json.dumps(properties["KeyPolicy"])
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    kms_models.Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


# --- CloudWatch Logs -------------------------------------------------------------------------

from moto.logs import models as logs_models  # noqa: E402


@patch(
    "log-group-key-from-cloudformation",
    lambda: 'kwargs.get("kmsKeyId")' in source_of(logs_models.LogGroup.__init__)
    and "**properties" in source_of(logs_models.LogGroup.create_from_cloudformation_json),
)
def log_group_key() -> None:
    """moto passes an AWS::Logs::LogGroup's properties through as they are, but reads the key as
    kmsKeyId (the API's spelling), so a log group's KmsKeyId from CloudFormation is dropped and the
    group reads back unencrypted. Pass it under the name moto reads."""
    original = logs_models.LogGroup.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        properties = cloudformation_json.get("Properties", {})
        if "KmsKeyId" in properties:
            properties["kmsKeyId"] = properties.pop("KmsKeyId")
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    logs_models.LogGroup.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


# --- SageMaker -------------------------------------------------------------------------------

from moto.sagemaker import models as sm_models  # noqa: E402

# Current GPU and Inferentia families of SageMaker real-time inference that moto's list lacks.
# Source: https://aws.amazon.com/sagemaker/pricing/ (instance families for real-time inference).
NEWER_INFERENCE_FAMILIES = ("ml.g5.", "ml.g6.", "ml.g6e.", "ml.inf2.", "ml.p4d.", "ml.p5.", "ml.trn1.")


@patch(
    "sagemaker-current-instance-families",
    lambda: "ml.g5.xlarge" not in source_of(sm_models.FakeEndpointConfig.validate_instance_type),
)
def sagemaker_instance_types() -> None:
    """moto's endpoint config accepts only an old list of instance types and rejects ml.g5 (GPU)
    and ml.inf2 (Inferentia2), which the estate serves on. Accept those families too; every other
    type is still judged by moto's list."""
    original = sm_models.FakeEndpointConfig.validate_instance_type

    def validate_instance_type(self: Any, instance_type: str) -> None:
        if instance_type.startswith(NEWER_INFERENCE_FAMILIES):
            return None
        return original(self, instance_type)

    sm_models.FakeEndpointConfig.validate_instance_type = validate_instance_type


# --- STS: role assumption per account --------------------------------------------------------

from moto.sts import models as sts_models  # noqa: E402


@patch(
    "assume-role-needs-the-role",
    lambda: "the role does not need to exist" in (inspect.getdoc(sts_models.STSBackend.assume_role) or ""),
)
def assume_role_needs_role() -> None:
    """moto's AssumeRole hands out credentials for any role ARN, existing or not, so a deploy into an
    account that was never bootstrapped (or bootstrapped without trusting the deploying account)
    would pass. Refuse, as STS does, a role that does not exist or whose trust policy does not name
    the caller's account (or a principal in it). Only the trust policy's AWS principals are read:
    conditions are not evaluated."""
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError

    class AccessDenied(STSClientError):
        def __init__(self, message: str) -> None:
            super().__init__("AccessDenied", message)

    original = sts_models.STSBackend.assume_role

    def assume_role(self: Any, region_name: str, role_session_name: str, role_arn: str, policy: str,
                    duration: int, external_id: str) -> Any:
        target_account = role_arn.split(":")[4]
        role_name = role_arn.split("/")[-1]
        iam = iam_backends[target_account]["aws"]
        role = next((r for r in iam.roles.values() if r.name == role_name), None)
        if role is None:
            log.error("AssumeRole refused: %s does not exist", role_arn)
            raise AccessDenied(f"rehearsal: role {role_arn} does not exist")
        caller = self.account_id
        trust = json.loads(role.assume_role_policy_document) if isinstance(
            role.assume_role_policy_document, str) else role.assume_role_policy_document
        principals: list[str] = []
        for statement in trust.get("Statement", []):
            # A statement behind a false Fn::If arrives as None (AWS::NoValue).
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            aws = (statement.get("Principal") or {}).get("AWS", []) if isinstance(statement.get("Principal"), dict) else []
            principals += aws if isinstance(aws, list) else [aws]
        if not any(p == caller or f":{caller}:" in p for p in principals):
            log.error("AssumeRole refused: %s does not trust account %s (trusts %s)", role_arn, caller, principals)
            raise AccessDenied(f"rehearsal: role {role_arn} does not trust account {caller}")
        return original(self, region_name, role_session_name, role_arn, policy, duration, external_id)

    sts_models.STSBackend.assume_role = assume_role


# ---------------------------------------------------------------------------------------------


def apply_patches() -> list[dict[str, str]]:
    import moto

    if moto.__version__ != PINNED_MOTO:
        raise PatchError(f"moto {moto.__version__} is installed; the rehearsal is pinned to {PINNED_MOTO} "
                         f"(pip install 'moto[server]=={PINNED_MOTO}'), and its patches are checked against it")
    applied = []
    for name, needed, apply, why in PATCHES:
        try:
            still_needed = needed()
        except PatchError as e:
            raise PatchError(f"patch {name} no longer applies: {e}") from e
        if not still_needed:
            raise PatchError(f"patch {name} is no longer needed with moto {moto.__version__}: remove it")
        try:
            apply()
        except PatchError as e:
            raise PatchError(f"patch {name} no longer applies: {e}") from e
        applied.append({"name": name, "why": " ".join(why.split())})
    return applied


def modelled_types() -> list[str]:
    """The CloudFormation resource types this moto creates (every other one it skips with a warning)."""
    return sorted(t for t in cfn_parsing.get_model_map() if t not in ("?", "AWS::SERVICE::RESOURCE"))


def main(argv: list[str]) -> None:
    if len(argv) != 2 or not argv[1].isdigit():
        sys.stderr.write("usage: moto_launcher.py PORT\n")
        sys.exit(2)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        applied = apply_patches()
    except PatchError as e:
        log.error("%s", e)
        sys.exit(3)
    # One line the rehearsal reads: which patches are active and what moto models.
    import moto

    print("REHEARSAL-MOTO " + json.dumps({"moto": moto.__version__, "patches": applied, "modelled": modelled_types()}),
          flush=True)
    from moto import server

    server.main(["-H", "127.0.0.1", "-p", argv[1]])


if __name__ == "__main__":
    main(sys.argv)
