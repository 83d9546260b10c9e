"""cnnattn on Ray: the model on Ray Serve replicas behind the same web app, and batch export on Ray Data.

Needs the `serve` extra (`pip install "cnnattn[serve]"`). Nothing here is imported unless `--ray`
is given, and no module imports `ray` before `cluster.RayCluster` has decided how to start it:

- `cluster`: start a local Ray cluster bound to 127.0.0.1 (no dashboard, small object store) or
  join one at an address; stop every Ray process it started.
- `deployment`: the `ModelReplica` Serve deployment (every backbone pass, batched by input shape)
  and `RayPipeline`, the web app's `Pipeline` that calls it through a `DeploymentHandle`.
- `serve`: `cnnattn serve --ray`: cluster + deployment + the unchanged Gradio front end.
- `encoding`: several photos in one backbone pass, one pass per input shape, results as batch 1.
- `batch`: `cnnattn explain --ray`: files read as bytes by Ray Data, decoded by cnnattn's safe loader
  and explained over an actor pool.
"""

from cnnattn.errors import UserError


class ModelUnavailable(UserError):
    """No model replica could answer in time (all restarting or gone): retryable, and the message
    says so in the visitor's language (a catalogue key, like every UserError the web adapter words).
    Defined here, free of `ray`, so a front end can catch it without importing Ray."""

    def __init__(self, key: str = "error.model_unavailable", **values):
        super().__init__(key, **values)
