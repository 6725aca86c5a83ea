"""Deploy rehearsal: the real `cdk bootstrap` and `cdk deploy` of the whole estate into moto.

    python3 test/rehearsal/rehearse.py [--assembly DIR] [--estate FILE] [--stacks PATTERN ...]

Synthesizes the estate (unless --assembly names a cloud assembly already synthesized), starts the
patched moto server on 127.0.0.1 and a free port, bootstraps every account and region of the
assembly, deploys every stack with the pinned CDK CLI, reads the resources back, writes
<assembly>/rehearsal.json and stops the server by its PID. Exit 0 only when every check holds; each
failure is printed as one line starting with "REHEARSAL FAIL".

Deploy mechanics only: moto enforces no IAM, no key policy, no SCP and no bucket policy, and does not
model about a third of the estate's resource types. It is not evidence of controls; those are asserted
at synth (tests, cdk-nag packs, cfn-lint).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CDK = REPO / "node_modules" / ".bin" / "cdk"
TSX = REPO / "node_modules" / ".bin" / "tsx"
NOT_MODELLED_FILE = HERE / "not-modelled.json"

# Credentials of an identity outside the estate; moto maps any unknown key to its default account.
OUTSIDE = {"AWS_ACCESS_KEY_ID": "rehearsal", "AWS_SECRET_ACCESS_KEY": "rehearsal"}
OUTSIDE_ACCOUNT = "123456789012"
OPERATOR_ROLE = "estate-rehearsal-operator"
# What `cdk bootstrap` gives the CloudFormation execution role here; the estate's own README names the
# policy to use in real accounts. moto does not evaluate it.
EXECUTION_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


class Rehearsal:
    def __init__(self, assembly: Path, config: dict[str, Any], stacks: list[str]) -> None:
        self.assembly = assembly
        self.config = config
        self.selected = stacks or None
        self.failures: list[str] = []
        self.lock = threading.RLock()
        self.passed = 0
        self.failed = 0
        self.timings: dict[str, float] = {}
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.cdk_home = Path(tempfile.mkdtemp(prefix="rehearsal-cdk-home-"))
        self.moto_info: dict[str, Any] = {}
        self.credentials: dict[str, dict[str, str]] = {}
        self.cli_logs: dict[str, str] = {}
        self.clients: dict[tuple[str, str, str], Any] = {}
        self.session = boto3.session.Session()
        self.execution_policy = EXECUTION_POLICY
        self.not_modelled_file = NOT_MODELLED_FILE
        self.credential_plugin = HERE / "credential-plugin.js"

    # --- failures ---------------------------------------------------------------------------
    def fail(self, message: str) -> None:
        with self.lock:
            self.failed += 1
            self.failures.append(message)
            print(f"REHEARSAL FAIL {message}", flush=True)

    def check(self, condition: bool, message: str) -> bool:
        if condition:
            with self.lock:
                self.passed += 1
        else:
            self.fail(message)
        return condition

    # --- the server -------------------------------------------------------------------------
    def launch_server(self) -> None:
        """Starts the launcher without waiting: moto takes seconds to load, time the synth can use."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log_path = self.cdk_home / "moto.log"
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, str(HERE / "moto_launcher.py"), str(self.port)],
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_for_server(self) -> None:
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"REHEARSAL FAIL moto launcher exited {self.proc.returncode}:\n"
                                 + self.log_path.read_text(errors="replace")[-3000:])
            text = self.log_path.read_text(errors="replace")
            m = re.search(r"^REHEARSAL-MOTO (.*)$", text, re.M)
            if m:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{self.port}/moto-api/", timeout=2)
                    self.moto_info = json.loads(m.group(1))
                    return
                except OSError:
                    pass
            time.sleep(0.3)
        raise SystemExit("REHEARSAL FAIL moto did not start within 120 s")

    def stop_server(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, service: str, account: str, region: str) -> Any:
        key = (service, account, region)
        with self.lock:  # a boto3 session is not thread-safe; its clients are
            if key not in self.clients:
                self.clients[key] = self.new_client(service, account, region)
            return self.clients[key]

    def new_client(self, service: str, account: str, region: str) -> Any:
        creds = self.credentials[account]
        return self.session.client(service, region_name=region, endpoint_url=self.endpoint,
                            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
                            aws_session_token=creds.get("AWS_SESSION_TOKEN"),
                            config=Config(retries={"max_attempts": 1}))

    # --- the assembly -----------------------------------------------------------------------
    def stacks(self) -> list[dict[str, Any]]:
        """Every stack artifact of the assembly, nested assemblies (stages) included."""
        found: list[dict[str, Any]] = []

        def walk(directory: Path) -> None:
            manifest = json.loads((directory / "manifest.json").read_text())
            for artifact_id, artifact in manifest["artifacts"].items():
                if artifact["type"] == "cdk:cloud-assembly":
                    walk(directory / artifact["properties"]["directoryName"])
                elif artifact["type"] == "aws:cloudformation:stack":
                    m = re.match(r"aws://(\d{12})/([a-z0-9-]+)$", artifact["environment"])
                    if not m:
                        raise SystemExit(f"REHEARSAL FAIL stack {artifact_id} has no explicit environment")
                    props = artifact["properties"]
                    template = json.loads((directory / props["templateFile"]).read_text())
                    found.append({
                        "id": artifact_id,
                        "display": artifact.get("displayName", artifact_id),
                        "name": props.get("stackName", artifact_id),
                        "account": m.group(1),
                        "region": m.group(2),
                        "template": template,
                        "terminationProtection": bool(props.get("terminationProtection")),
                        "dependencies": [d for d in artifact.get("dependencies", []) if not d.endswith(".assets")],
                    })

        walk(self.assembly)
        if self.selected is None:
            return found
        by_id = {s["id"]: s for s in found}
        chosen: set[str] = set()
        todo = [s["id"] for s in found if s["display"] in self.selected]
        unknown = set(self.selected) - {s["display"] for s in found}
        if unknown:
            raise SystemExit(f"REHEARSAL FAIL no such stack(s) in the assembly: {sorted(unknown)}")
        while todo:  # a chosen stack brings the stacks it depends on, as `cdk deploy` would
            sid = todo.pop()
            if sid not in chosen and sid in by_id:
                chosen.add(sid)
                todo += by_id[sid]["dependencies"]
        return [s for s in found if s["id"] in chosen]

    # --- the CLI ----------------------------------------------------------------------------
    def cli_env(self, account: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self.credentials[account])
        env.update({
            "AWS_ENDPOINT_URL": self.endpoint,
            # moto's CloudFormation fetches the template from the URL the CLI hands it.
            "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION": f"http://localhost:{self.port}",
            "AWS_REGION": self.config["organization"]["homeRegion"],
            "AWS_EC2_METADATA_DISABLED": "true",
            # The CLI caches which account a key belongs to; a scratch home per account keeps them apart.
            "CDK_HOME": str(self.cdk_home / account),
            "CDK_DISABLE_VERSION_CHECK": "1",
            "FORCE_COLOR": "0",
            "REHEARSAL_CREDENTIALS": json.dumps({a: {"accessKeyId": c["AWS_ACCESS_KEY_ID"],
                                                     "secretAccessKey": c["AWS_SECRET_ACCESS_KEY"],
                                                     "sessionToken": c["AWS_SESSION_TOKEN"]}
                                                 for a, c in self.credentials.items()}),
        })
        return env

    def cli(self, runs: list[tuple[list[str], str, str]]) -> None:
        """Runs the CLI once per (args, account, label), all at once; each one's output goes to a log."""
        started = time.time()
        running = []
        for args, account, label in runs:
            out_path = self.assembly / f"rehearsal-{label}.log"
            out = open(out_path, "wb")
            proc = subprocess.Popen([str(CDK), *args, "--app", str(self.assembly), "--no-notices", "--ci"],
                                    cwd=REPO, env=self.cli_env(account), stdout=out, stderr=subprocess.STDOUT)
            running.append((proc, out, out_path, args, label))
        for proc, out, out_path, args, label in running:
            rc = proc.wait()
            out.close()
            self.timings[f"cdk {label}"] = round(time.time() - started, 1)
            self.cli_logs[label] = out_path.read_text(errors="replace")
            if rc != 0:
                tail = self.cli_logs[label].strip().splitlines()[-12:]
                self.fail(f"cdk {args[0]} ({label}) exited {rc}:\n    " + "\n    ".join(tail))

    def operator_credentials(self, accounts: list[str]) -> None:
        """Credentials in each account: a role made there (moto lets the set-up name the account)
        that trusts the outside identity, then assumed, as a person with access to each account would."""
        for account in accounts:
            iam = boto3.client("iam", region_name="us-east-1", endpoint_url=self.endpoint,
                               aws_access_key_id=OUTSIDE["AWS_ACCESS_KEY_ID"],
                               aws_secret_access_key=OUTSIDE["AWS_SECRET_ACCESS_KEY"])
            iam.meta.events.register("before-sign.iam.*",
                                      lambda request, account=account, **_: request.headers.__setitem__(
                                          "x-moto-account-id", account))
            iam.create_role(RoleName=OPERATOR_ROLE, AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                               "Principal": {"AWS": f"arn:aws:iam::{OUTSIDE_ACCOUNT}:root"}}]}))
            sts = boto3.client("sts", region_name="us-east-1", endpoint_url=self.endpoint,
                               aws_access_key_id=OUTSIDE["AWS_ACCESS_KEY_ID"],
                               aws_secret_access_key=OUTSIDE["AWS_SECRET_ACCESS_KEY"])
            c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{OPERATOR_ROLE}",
                                RoleSessionName="rehearsal")["Credentials"]
            self.credentials[account] = {"AWS_ACCESS_KEY_ID": c["AccessKeyId"],
                                         "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
                                         "AWS_SESSION_TOKEN": c["SessionToken"]}

    def deployer_account(self) -> str:
        delivery = self.config.get("delivery")
        return delivery["account"] if delivery else OUTSIDE_ACCOUNT


def mutate(assembly: Path, mutations: list[str], selected: list[str]) -> Path:
    """A copy of the assembly with deliberate defects, to show the rehearsal catches them:
    bucket-collision  the second stack (in another account) with a named bucket takes the first one's name;
    missing-output    a producer loses an output that a selected consumer reads.
    Prints one REHEARSAL MUTANT line per defect, naming what it changed."""
    copy = Path(tempfile.mkdtemp(prefix="rehearsal-mutant-")) / "cdk.out"
    shutil.copytree(assembly, copy, ignore=shutil.ignore_patterns("rehearsal*"))
    probe = Rehearsal(copy, {}, selected)
    shutil.rmtree(probe.cdk_home, ignore_errors=True)
    stacks = probe.stacks()
    files = {s["id"]: next(copy.rglob(f"{s['id']}.template.json")) for s in stacks}

    def save(s: dict[str, Any]) -> None:
        files[s["id"]].write_text(json.dumps(s["template"]))

    for mutation in mutations:
        if mutation == "bucket-collision":
            named = [(s, logical, res) for s in sorted(stacks, key=lambda x: x["display"])
                     for logical, res in s["template"]["Resources"].items()
                     if res["Type"] == "AWS::S3::Bucket" and isinstance(res.get("Properties", {}).get("BucketName"), str)]
            first = named[0]
            second = next(n for n in named if n[0]["account"] != first[0]["account"])
            name = first[2]["Properties"]["BucketName"]
            second[2]["Properties"]["BucketName"] = name
            save(second[0])
            print(f"REHEARSAL MUTANT bucket-collision: {second[0]['display']}/{second[1]} is named {name}, "
                  f"like {first[0]['display']}/{first[1]}", flush=True)
        elif mutation == "missing-output":
            from rehearsal_checks import stack_references  # noqa: PLC0415

            done = False
            for consumer in sorted(stacks, key=lambda x: x["display"]):
                for ref in stack_references(consumer):
                    producer = next((p for p in stacks if (p["account"], p["region"], p["name"]) ==
                                     (ref["account"], ref["region"], ref["stack"])), None)
                    if producer and not done:
                        del producer["template"]["Outputs"][ref["output"]]
                        save(producer)
                        print(f"REHEARSAL MUTANT missing-output: {producer['display']} no longer declares "
                              f"{ref['output']}, which {consumer['display']} reads", flush=True)
                        done = True
            if not done:
                raise SystemExit("REHEARSAL FAIL missing-output: no selected stack reads a selected stack's output")
        else:
            raise SystemExit(f"REHEARSAL FAIL unknown mutation {mutation}")
    return copy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assembly", help="a synthesized cloud assembly (default: synthesize into cdk.out)")
    parser.add_argument("--estate", default=os.environ.get("ESTATE_CONFIG", "estate.yaml"))
    parser.add_argument("--stacks", nargs="*", default=[],
                        help="display names of the stacks to deploy, with what they depend on (default: all)")
    parser.add_argument("--mutate", default="", help="comma-separated defects to plant in a copy of the assembly "
                                                       "(bucket-collision, missing-output): the rehearsal must fail")
    args = parser.parse_args()

    started = time.time()
    r = Rehearsal(REPO / "cdk.out", {}, args.stacks)
    r.launch_server()
    # The config the read-back judges by, loaded while the estate synthesizes.
    config_proc = subprocess.Popen([str(TSX), str(HERE / "estate-config.ts"), args.estate], cwd=REPO,
                                   stdout=subprocess.PIPE)
    try:
        if args.assembly:
            r.assembly = Path(args.assembly).resolve()
        else:
            t = time.time()
            rc = subprocess.run([str(CDK), "synth", "**", "--quiet", "-c", f"estate={args.estate}"],
                                cwd=REPO).returncode
            r.timings["synth"] = round(time.time() - t, 1)
            if rc != 0:
                print("REHEARSAL FAIL cdk synth failed", flush=True)
                return 1
        if args.mutate:
            r.assembly = mutate(r.assembly, args.mutate.split(","), args.stacks)
        out, _ = config_proc.communicate()
        if config_proc.returncode != 0:
            print("REHEARSAL FAIL the estate config does not load", flush=True)
            return 1
        r.config = json.loads(out)
        t = time.time()
        r.wait_for_server()
        r.timings["server start (after synth)"] = round(time.time() - t, 1)
        from rehearsal_checks import run  # noqa: PLC0415  (kept apart: the deploy and the checks)

        run(r)
    finally:
        if os.environ.get("REHEARSAL_KEEP_SERVER"):
            print(f"server kept: pid {r.proc.pid if r.proc else '-'} on {r.endpoint}", flush=True)
        else:
            r.stop_server()
        if r.log_path.exists() and r.assembly.exists():
            shutil.copy(r.log_path, r.assembly / "rehearsal-moto.log")
        shutil.rmtree(r.cdk_home, ignore_errors=True)
    assembly = r.assembly
    if args.mutate:
        shutil.rmtree(assembly.parent, ignore_errors=True)
    r.timings["total"] = round(time.time() - started, 1)
    print(f"rehearsal timings (s): {json.dumps(r.timings)}; report: {assembly / 'rehearsal.json'}")
    print(f"rehearsal: {r.passed} passed, {r.failed} failed", flush=True)
    return 1 if r.failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
