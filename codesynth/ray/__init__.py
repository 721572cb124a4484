"""codesynth on Ray: one warm pool per node that offers the `codesynth` resource, and a client
that spreads requests over them, delivering each exactly once even when a node dies.

    ray start --head --resources='{"codesynth": 1}'     # on every node that runs programs
    from codesynth.ray import RayPool
    with RayPool(address="auto") as pool:
        for request, result in pool.run(requests):
            ...

`RayBackend` is the same as a registered backend kind (`--backend ray`, `serve --ray`).
Needs the `ray` extra.
"""

__all__ = ["RayBackend", "RayPool", "verify_dataset"]


def __getattr__(name: str):
    # Ray is an extra: importing codesynth.ray (e.g. for the registry) must not need it yet.
    if name == "RayPool":
        from codesynth.sandbox.ray.client import RayPool

        return RayPool
    if name == "RayBackend":
        from codesynth.sandbox.ray.backend import RayBackend

        return RayBackend
    if name == "verify_dataset":
        from codesynth.verifiers.adapters.ray_data import verify_dataset

        return verify_dataset
    raise AttributeError(name)
