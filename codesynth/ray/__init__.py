"""codesynth on Ray: one warm pool per node that offers the `codesynth` resource, and a client
that spreads requests over them, delivering each exactly once even when a node dies.

    ray start --head --resources='{"codesynth": 1}'     # on every node that runs programs
    from codesynth.ray import RayPool
    with RayPool(address="auto") as pool:
        for request, result in pool.run(requests):
            ...

Needs the `ray` extra.
"""

from codesynth.ray.client import RayPool

__all__ = ["RayPool"]
