"""codesynth on a real two-node Ray cluster on this machine (`ray.cluster_utils.Cluster`: a head
and a second raylet, two node ids, both using the local Docker engine)."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

# conftest.py puts Ray on 127.0.0.1 (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, before ray is imported).
assert os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER") == "0"
ray = pytest.importorskip("ray")

from ray.cluster_utils import Cluster  # noqa: E402

from codesynth.models import Candidate, Limits, Problem  # noqa: E402
from codesynth.ray import RayPool  # noqa: E402
from codesynth.sandbox.backend import build_request  # noqa: E402

ADD = Problem(id="r/add", prompt="", entry_point="add",
              tests="def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-4, 4) == 0\n")


def requests_(n: int, sleep: float = 0.0, wrong_every: int = 0):
    out = []
    for i in range(n):
        body = "a - b" if wrong_every and i % wrong_every == 0 else "a + b"
        code = f"import time\ntime.sleep({sleep})\ndef add(a, b):\n    return {body}\n"
        out.append(build_request(ADD, Candidate(candidate_id=f"c{i}", problem_id=ADD.id, solution=code),
                                 Limits(timeout_s=10)))
    return out


def containers(run_id: str) -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=codesynth.run={run_id}"],
                         capture_output=True, text=True)
    return out.stdout.split()


def ray_pool_containers() -> list[str]:
    """Containers of any pool actor (their run ids are ray<pid>)."""
    out = subprocess.run(["docker", "ps", "-a", "--format", '{{.Label "codesynth.run"}}'], capture_output=True, text=True)
    return [x for x in out.stdout.split() if x.startswith("ray")]


def wait_gone(run_id: str, timeout: float = 60) -> list[str]:
    end = time.monotonic() + timeout
    while (left := containers(run_id)) and time.monotonic() < end:
        time.sleep(0.5)
    return left


@pytest.fixture
def cluster(runner_image):
    # A node that stops answering is declared dead within ~2 s instead of the default ~30 s.
    c = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "resources": {"codesynth": 1},
        "_system_config": {"health_check_period_ms": 500, "health_check_failure_threshold": 3,
                           "health_check_initial_delay_ms": 0}})
    second = c.add_node(num_cpus=1, resources={"codesynth": 1})
    ray.init(address=c.address)
    assert c.address.startswith("127.0.0.1:")
    assert {n["NodeManagerAddress"] for n in ray.nodes()} == {"127.0.0.1"}
    try:
        yield c, second
    finally:
        ray.shutdown()
        c.shutdown()


def test_two_pools_locality_and_a_node_killed_mid_run(cluster):
    c, second = cluster
    pool = RayPool(workers_per_node=1, batch_size=4)
    try:
        nodes = {p.node_id for p in pool.pools}
        assert len(pool.pools) == 2 and len(nodes) == 2  # one pool per node, two node ids
        assert second.node_id in nodes and pool.local_node in nodes and pool.local_node != second.node_id
        for p in pool.pools:
            assert containers(p.run_id), "each pool holds warm containers of its own"

        # locality: a job the local pool can take at once never leaves the driver's node
        small = list(pool.run(requests_(6)))
        assert len(small) == 6 and all(r.passed for _, r in small)
        assert dict(pool.delivered_by) == {pool.local_node: 6}

        # a bigger job spills over; the second node is killed while it holds batches
        reqs = requests_(48, sleep=0.15, wrong_every=5)
        seen: list[str] = []
        killed = False
        remote = next(p for p in pool.pools if p.node_id == second.node_id)
        for req, res in pool.run(reqs):
            seen.append(req.candidate_id)
            assert res.candidate_id == req.candidate_id
            assert res.passed == (int(req.candidate_id[1:]) % 5 != 0), res
            if not killed and pool.delivered_by[second.node_id] >= 4 and remote.outstanding:
                c.remove_node(second, allow_graceful=False)
                killed = True
        assert killed, "the second node never got work"
        assert sorted(seen) == sorted(r.candidate_id for r in reqs)  # every request, exactly once
        assert len(seen) == len(set(seen)) == 48
        assert pool.resubmitted > 0 and not remote.alive
        # the dead node's containers go with its actor process (the supervisor exits on EOF)
        assert wait_gone(remote.run_id) == []
    finally:
        pool.close()
    for p in pool.pools:
        assert wait_gone(p.run_id) == []


def test_serve_with_the_cluster_behind(cluster):
    import concurrent.futures
    import signal
    import sys

    import requests
    from helpers import ROOT
    from test_serve import free_port

    c, second = cluster
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "codesynth.cli", "serve", "--port", str(port), "--workers", "1",
                             "--ray", c.address], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 180
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                if requests.get(url + "/v1/ping", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < end
            time.sleep(0.3)
        assert requests.get(url + "/v1/stats", timeout=10).json()["workers"] == 2  # one per node

        def one(i: int) -> dict:
            return requests.post(url + "/run_code", json={"code": f"import time\ntime.sleep(0.3)\nprint({i})"},
                                 timeout=60).json()

        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            out = list(ex.map(one, range(8)))
        assert [o["run_result"]["stdout"] for o in out] == [f"{i}\n" for i in range(8)]
        assert all(o["status"] == "Success" for o in out)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # every pool's containers went with the server's shutdown
    end = time.monotonic() + 60
    while (left := ray_pool_containers()) and time.monotonic() < end:
        time.sleep(0.5)
    assert left == []


def test_verify_backend_ray_with_a_node_killed_mid_run(cluster, tmp_path):
    import json
    import os
    import sys

    from helpers import PROBLEM_SETS, ROOT, check_complete, slow_candidates, wait_for_results

    c, second = cluster
    sols, total = slow_candidates(tmp_path)
    out = tmp_path / "run"
    env = dict(os.environ, RAY_ADDRESS=c.address)
    proc = subprocess.Popen([sys.executable, "-m", "codesynth.cli", "verify", str(PROBLEM_SETS / "basic.jsonl"),
                             "--solutions", str(sols), "--out", str(out), "--backend", "ray", "--workers", "1",
                             "--json"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_results(out, 10, proc, timeout=180)
        c.remove_node(second, allow_graceful=False)  # the run goes on with the head's pool alone
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    # stdout is the JSON summary alone (Ray's own node-death notices go to stderr)
    summary = json.loads(stdout)
    assert summary == json.loads((out / "summary.json").read_text())
    assert summary["candidates"] == total and summary["passed"] == total
    check_complete(out, total)  # every candidate recorded exactly once
    end = time.monotonic() + 60
    while (left := ray_pool_containers()) and time.monotonic() < end:
        time.sleep(0.5)
    assert left == []


def test_verify_dataset_with_ray_data(cluster):
    from codesynth.ray import verify_dataset
    from codesynth.verifiers.adapters import problem_spec

    rows = [{"row": i, "problem_id": ADD.id if i % 2 else "other",
             "problem": problem_spec(ADD) if i % 2 == 0 else "",
             "completion": f"```python\ndef add(a, b):\n    return {'a + b' if i % 3 else 'a * b'}\n```"}
            for i in range(30)]
    pool = RayPool(workers_per_node=1, batch_size=4)
    try:
        out = verify_dataset(ray.data.from_items(rows), pool, [ADD], batch_size=10).take_all()
    finally:
        pool.close()
    assert sorted(r["row"] for r in out) == list(range(30))  # every row once
    for r in out:
        want = r["row"] % 3 != 0
        assert bool(r["passed"]) is want and r["reward"] == (1.0 if want else 0.0), r
        assert r["status"] == ("passed" if want else "failed") and not r["sandbox_error"]


@pytest.fixture
def three_nodes(runner_image):
    """A head that runs no programs (no `codesynth` resource: the server's driver sits there) and two
    nodes with a pool each, so that both can be lost while the server lives."""
    c = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1,
        "_system_config": {"health_check_period_ms": 500, "health_check_failure_threshold": 3,
                           "health_check_initial_delay_ms": 0}})
    nodes = [c.add_node(num_cpus=1, resources={"codesynth": 1}) for _ in range(2)]
    ray.init(address=c.address)
    try:
        yield c, nodes
    finally:
        ray.shutdown()
        c.shutdown()


def test_serve_env_with_nodes_killed_mid_episode(three_nodes, docker_backend, tmp_path):
    """`codesynth serve --ray --env`: OpenEnv sessions (the real `openenv` client) mid-episode when a
    node is SIGKILLed under their steps. The design: a program whose node died runs again on a
    surviving node, so every session gets the answer the in-process environment gives; when the
    last node dies under a step, that step answers one error line and the session stays open. The
    sessions' count returns to 0 when clients close or idle out; the dead nodes' containers go with
    their actors."""
    import asyncio
    import signal
    import sys

    import requests
    from helpers import ROOT, SUPERVISOR_UIDS, container_processes, free_port, wait_until_serving
    from openenv import GenericEnvClient
    from test_openenv_server import CANARY, PROBLEMS, fenced

    from codesynth.pipeline.environment import code_environment
    from codesynth.service.config import ServeConfig

    c, (node_a, node_b) = three_nodes
    slow_wrong = fenced("import time\ntime.sleep(2.5)\ndef shout(s):\n    return s + '!'\n")
    right = fenced("def shout(s):\n    return s.upper() + '!'\n")
    # the reference: the same replies through the library's environment in this process
    env = code_environment(PROBLEMS, backend=docker_backend, limits=ServeConfig().limits)
    ep = env.episode("shout")
    ep.reset()
    want = [ep.step(slow_wrong).model_dump(exclude={"episode_id"}), ep.step(right).model_dump(exclude={"episode_id"})]
    assert want[0]["feedback"].startswith("Your code failed") and want[1]["reward"] == 1.0

    f = tmp_path / "env.jsonl"
    f.write_text("".join(p.model_dump_json(exclude_none=True) + "\n" for p in PROBLEMS))
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "codesynth.cli", "serve", "--port", str(port), "--workers", "1",
                             "--ray", c.address, "--env", str(f), "--env-idle-timeout", "4"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"

    def stats() -> dict:
        return requests.get(url + "/v1/stats", timeout=30).json()

    try:
        wait_until_serving(proc, url)
        pools = {p["node_id"]: p for p in stats()["backend"]["pools"]}
        assert set(pools) == {node_a.node_id, node_b.node_id} and all(p["alive"] for p in pools.values())
        ours = [p["run_id"] for p in pools.values()]  # the containers this test's server started, by label

        def running_on(node) -> bool:
            return any(uid not in SUPERVISOR_UIDS for cid in containers(pools[node.node_id]["run_id"])
                       for uid, _ in container_processes(cid))

        async def kill_when_it_runs_a_step(node):
            end = time.monotonic() + 120
            while not await asyncio.to_thread(running_on, node):
                assert time.monotonic() < end, "no step ever ran on the node"
                await asyncio.sleep(0.1)
            await asyncio.to_thread(c.remove_node, node, False)  # SIGKILL: raylet and all

        async def episodes():
            base = url + "/openenv"
            clients = [GenericEnvClient(base_url=base, message_timeout_s=300) for _ in range(4)]
            silent = GenericEnvClient(base_url=base, message_timeout_s=300)
            for cl in [*clients, silent]:
                r = await cl.reset(task_id="shout")
                assert not r.done
            assert (await asyncio.to_thread(stats))["sessions"]["open"] == 5
            killer = asyncio.ensure_future(kill_when_it_runs_a_step(node_a))

            async def play(cl):
                return [await cl.step({"code": slow_wrong}), await cl.step({"code": right})]

            # every session steps at once: two programs run (one per node), the others queue
            played = await asyncio.gather(*(play(cl) for cl in clients))
            await killer
            first_loss = await asyncio.to_thread(stats)

            # the last node dies under a step: that step is one error line, the session lives on
            last = clients[0]
            await last.reset(task_id="shout")
            killer = asyncio.ensure_future(kill_when_it_runs_a_step(node_b))
            errors = []
            with pytest.raises(RuntimeError) as e:
                await last.step({"code": slow_wrong})
            errors.append(str(e.value))
            await killer
            assert not (await last.reset(task_id="shout")).done  # the session still serves
            with pytest.raises(RuntimeError) as e:
                await last.step({"code": right})
            errors.append(str(e.value))
            for cl in clients:
                await cl.close()
            return played, first_loss, errors, silent

        played, first_loss, errors, silent = asyncio.run(episodes())
        for turns in played:
            for r, ref in zip(turns, want, strict=True):
                obs = {k: v for k, v in r.observation.items() if k not in ("episode_id", "metadata")}
                assert obs == {k: v for k, v in ref.items() if k not in ("done", "reward")}
                assert (r.done, r.reward) == (ref["done"], ref["reward"])
        assert first_loss["backend"]["reruns"] >= 1, first_loss["backend"]  # the kill really took a step
        assert first_loss["backend"]["nodes_alive"] == 1
        for m in errors:
            assert "every codesynth pool in the Ray cluster is gone" in m and "\n" not in m, m
        assert stats()["backend"]["nodes_alive"] == 0
        # the silent client's session idles out; the closed ones are gone: nothing counted open
        end = time.monotonic() + 60
        while (s := stats())["sessions"]["open"] != 0:
            assert time.monotonic() < end, s["sessions"]
            time.sleep(0.2)
        silent.close()  # outside an event loop OpenEnv's client closes synchronously
        # the dead nodes' containers went with their actor processes (the supervisor exits on EOF)
        for run_id in ours:
            assert wait_gone(run_id) == []
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        err = proc.stderr.read()
        assert proc.returncode == 143, err
        assert "Traceback" not in err and CANARY not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for run_id in ours:
        assert wait_gone(run_id) == []
