"""
moto's server, with the one SageMaker call the gates make that moto 5 does not
implement: ListPipelineExecutionSteps. Started for a test worker
(MOTO_PARENT_PID), it exits when that worker does.

What a pipeline's steps did is known only to the service that ran them. Here
the test world plays the pipeline: when its RegisterModel step registers a
package, the world writes that execution's steps (a JSON list shaped as the
API's PipelineExecutionStep) to MOTO_PIPELINE_STEPS_DIR/<sha256 of the
execution ARN>.json. The server answers ListPipelineExecutionSteps from that
file, in the documented response shape ("PipelineExecutionSteps", each with
StepName, StepStatus and Metadata; Metadata.RegisterModel.Arn is "the Amazon
Resource Name (ARN) of the model package", Amazon SageMaker API Reference,
ListPipelineExecutionSteps and RegisterModelStepMetadata). An execution moto
does not know is refused as SageMaker refuses it; an execution whose steps
were never written has no steps yet. Every other call is moto's own.
"""
import hashlib
import json
import os
import sys

from moto.core.responses import ActionResult
from moto.sagemaker.responses import SageMakerResponse

STEPS_DIR = os.environ.get("MOTO_PIPELINE_STEPS_DIR", "")


def list_pipeline_execution_steps(self):
    arn = self._get_param("PipelineExecutionArn")
    # Raises moto's own error for an execution it does not know.
    self.sagemaker_backend.describe_pipeline_execution(arn)
    path = os.path.join(STEPS_DIR, hashlib.sha256(arn.encode()).hexdigest() + ".json")
    steps = []
    if STEPS_DIR and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            steps = json.load(f)
    return ActionResult({"PipelineExecutionSteps": steps})


SageMakerResponse.list_pipeline_execution_steps = list_pipeline_execution_steps

def exit_with_parent():
    """A server started for a test worker (MOTO_PARENT_PID) stops when that worker is gone."""
    parent = int(os.environ.get("MOTO_PARENT_PID", "0") or 0)
    if not parent:
        return
    import threading
    import time

    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


if __name__ == "__main__":
    from moto.server import main

    exit_with_parent()

    main(sys.argv[1:])
