"""Sandbox infrastructure against the real engine and the real runner image.

No skips: without a Docker engine these tests fail (CI starts one via .ci/run).
"""

from __future__ import annotations

import errno
import json
import shutil
import socket
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import docker.errors
import pytest
from click.testing import CliRunner

from codesynth.cli import cli
from codesynth.errors import SandboxUnavailable
from codesynth.models import Limits
from codesynth.sandbox.docker import containers, engine, image
from codesynth.sandbox.docker import doctor as doctor_mod
from codesynth.sandbox.docker.hardening import Hardening

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tag() -> str:
    engine.ensure_engine()
    return image.ensure_image()


@pytest.fixture()
def run_id(tag):
    rid = f"test-infra-{uuid.uuid4().hex[:8]}"
    yield rid
    containers.cleanup_containers(rid)


def _labels(run_id: str, owner: str | None = None) -> dict[str, str]:
    return {containers.LABEL: "1", containers.RUN_LABEL: run_id, containers.OWNER_LABEL: owner or containers.owner_label()}


# What the pool's supervisor does first: give up uid 0 and, with it, every capability.
DROP = "import os as _o\n_o.setgroups([]); _o.setgid(61000); _o.setuid(61000)\n"


def probe(tag: str, run_id: str, code: str, scratch_mb: int = 16) -> str:
    """Run `code` in a container of our image under the pool's own lock-down, as the supervisor."""
    out = engine.client().containers.run(
        tag,
        ["python3", "-c", DROP + code],
        labels=_labels(run_id),
        remove=True,
        **doctor_mod.hardened_run_kwargs(scratch_mb),
    )
    return out.decode().strip()


# ---- engine ----------------------------------------------------------------------------


def test_engine_reachable_after_ensure_engine():
    engine.ensure_engine(install=False)
    assert engine.engine_available()
    assert engine.client().ping()


def test_unreachable_engine_is_one_clear_error(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    assert engine.engine_available(timeout=2) is False
    with pytest.raises(SandboxUnavailable, match="not reachable"):
        engine.ensure_engine(install=False)


# ---- image -----------------------------------------------------------------------------


def test_image_ok_after_ensure_image(tag):
    assert tag == image.image_tag() == f"codesynth-runner:{__import__('codesynth').__version__}-{image.harness_hash()}"
    assert image.image_status() == "ok"
    labels = engine.client().images.get(tag).labels
    assert labels[image.HASH_LABEL] == image.harness_hash()
    assert containers.LABEL not in labels  # containers get `codesynth` explicitly, never from the image


def test_image_carries_precompiled_harness(tag, run_id):
    code = (
        "import os,sys;h='/opt/codesynth/harness';"
        "print(sorted(f for f in os.listdir(h) if f.endswith('.py')));"
        "print(sorted(os.listdir(h+'/__pycache__')));"
        "print(os.environ['PYTHONDONTWRITEBYTECODE'], os.environ['PYTHONIOENCODING'])"
    )
    py, pyc, env = probe(tag, run_id, code).splitlines()
    expected = sorted(p.name for p in image.harness_dir().glob("*.py"))
    assert json.loads(py.replace("'", '"')) == expected
    compiled = {n.split(".")[0] + ".py" for n in json.loads(pyc.replace("'", '"'))}
    assert set(expected) <= compiled
    assert env == "1 utf-8"


def test_harness_hash_tracks_harness_files(tmp_path):
    h = tmp_path / "harness"
    shutil.copytree(image.harness_dir(), h, ignore=shutil.ignore_patterns("__pycache__"))
    df = tmp_path / "Dockerfile.runner"
    shutil.copyfile(image.dockerfile_path(), df)
    base = image.harness_hash(h, df)
    assert base == image.harness_hash()
    assert len(base) == 16

    (h / "notes.txt").write_text("not code")
    assert image.harness_hash(h, df) == base  # only *.py files count

    victim = sorted(h.glob("*.py"))[0]
    victim.write_text(victim.read_text() + "\n# changed\n")
    changed = image.harness_hash(h, df)
    assert changed != base

    (h / "extra.py").write_text("")
    assert image.harness_hash(h, df) not in (base, changed)

    df.write_text(df.read_text() + "\n# changed\n")
    assert image.harness_hash(h, df) not in (base, changed)


def test_wheel_ships_what_the_build_needs(tmp_path):
    """A non-editable install must carry Dockerfile.runner and the harness as package files."""
    src = tmp_path / "src"
    shutil.copytree(
        REPO,
        src,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "runs", "*.egg-info", "__pycache__", ".*cache"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(src)],
        check=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("codesynth-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "codesynth/sandbox/Dockerfile.runner" in names
    assert (
        zipfile.ZipFile(wheel).read("codesynth/sandbox/Dockerfile.runner")
        == (REPO / "Dockerfile.runner").read_bytes()
    )
    for p in image.harness_dir().glob("*.py"):
        assert f"codesynth/sandbox/harness/{p.name}" in names
    # Every module of every layer is installed under the one namespace (a package missing
    # from pyproject's list would import in a checkout and fail for every user).
    layers = {"codesynth": "codesynth", "sandbox": "codesynth/sandbox", "generators": "codesynth/generators",
              "verifiers": "codesynth/verifiers"}
    for folder, prefix in layers.items():
        for p in (REPO / folder).rglob("*.py"):
            assert f"{prefix}/{p.relative_to(REPO / folder).as_posix()}" in names, p
    assert not any(n.startswith(("sandbox/", "verifiers/", "generators/")) for n in names)


# ---- apt sources (for the offline base) ---------------------------------------------------


def test_debian_mirror_from_deb822_and_one_line_sources(tmp_path):
    etc = tmp_path / "apt"
    (etc / "sources.list.d").mkdir(parents=True)
    (etc / "sources.list").write_text("# nothing here\n")
    (etc / "sources.list.d" / "other.list").write_text(
        "deb [signed-by=/k.gpg] https://example.invalid/tools stable main\n"
        "deb-src http://src.invalid/debian bookworm main\n"
    )
    (etc / "sources.list.d" / "off.sources.disabled").write_text(
        "Types: deb\nURIs: http://disabled.invalid/debian\nSuites: bookworm\nComponents: main\n"
    )
    (etc / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\n# a comment\nURIs: http://mirror.invalid/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\n\n"
        "Types: deb\nURIs: http://mirror.invalid/debian-security\nSuites: bookworm-security\nComponents: main\n"
    )
    srcs = image.apt_sources(etc)
    assert [s.uri for s in srcs] == [  # files in name order; deb-src and *.disabled ignored
        "http://mirror.invalid/debian",
        "http://mirror.invalid/debian-security",
        "https://example.invalid/tools",
    ]
    assert image.debian_mirror(srcs, codename="bookworm") == "http://mirror.invalid/debian"

    (etc / "sources.list.d" / "debian.sources").unlink()
    (etc / "sources.list").write_text("deb http://one.invalid/debian bookworm main contrib\n")
    assert image.debian_mirror(image.apt_sources(etc), codename="bookworm") == "http://one.invalid/debian"

    with pytest.raises(SandboxUnavailable, match="no Debian"):
        image.debian_mirror(image.apt_sources(etc / "missing"), codename="bookworm")


# ---- the hardened container really is hardened ----------------------------------------------


def test_no_network(tag, run_id):
    # Isolation is read off the container's own network stack (interfaces, routes); no
    # address outside this machine is ever a target, not even one expected to fail.
    code = (
        "import json,os\n"
        "ifs=[l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:]]\n"
        "routes=open('/proc/net/route').read().splitlines()[1:]\n"
        "p6='/proc/net/ipv6_route'\n"
        "routes6=[l for l in open(p6).read().splitlines() if not l.endswith(' lo')] if os.path.exists(p6) else []\n"
        "print(json.dumps({'ifs':ifs,'routes':routes,'routes6':routes6}))"
    )
    got = json.loads(probe(tag, run_id, code))
    assert got["ifs"] == ["lo"]
    assert got["routes"] == [] and got["routes6"] == []


def test_read_only_root_and_capped_scratch(tag, run_id):
    code = (
        "import json\n"
        "res={}\n"
        "for p in ('/opt/codesynth/x','/tmp/x','/etc/x'):\n"
        " try:\n  open(p,'w').write('x'); res[p]=0\n"
        " except OSError as e:\n  res[p]=e.errno\n"
        "open('/scratch/small','wb').write(b'x'*100_000)\n"
        "try:\n open('/scratch/big','wb').write(b'x'*3_000_000); res['big']=0\n"
        "except OSError as e:\n res['big']=e.errno\n"
        "print(json.dumps(res))"
    )
    got = json.loads(probe(tag, run_id, code, scratch_mb=1))
    assert got["/opt/codesynth/x"] == errno.EROFS
    assert got["/tmp/x"] == errno.EROFS
    assert got["/etc/x"] in (errno.EROFS, errno.EACCES)
    assert got["big"] == errno.ENOSPC  # 100 kB fits, 3 MB does not: the cap is enforced


def test_identity_capabilities_and_no_new_privs(tag, run_id):
    code = (
        "import json,os\n"
        "st=dict(l.split(':\\t',1) for l in open('/proc/self/status').read().splitlines() if ':\\t' in l)\n"
        "print(json.dumps({'uid':os.getuid(),'gid':os.getgid(),'euid':os.geteuid(),"
        "'caps':{k:st[k].strip() for k in ('CapEff','CapPrm','CapBnd','CapInh','CapAmb')},"
        "'nnp':st['NoNewPrivs'].strip()}))"
    )
    got = json.loads(probe(tag, run_id, code))
    assert (got["uid"], got["gid"], got["euid"]) == (61000, 61000, 61000)
    caps = {k: int(v, 16) for k, v in got["caps"].items()}
    assert caps["CapEff"] == caps["CapPrm"] == caps["CapInh"] == caps["CapAmb"] == 0, got["caps"]
    # The bounding set holds at most the supervisor's three (SETUID, SETGID, KILL): nothing a
    # process without them in its permitted set, under no-new-privileges, can ever regain.
    assert caps["CapBnd"] & ~0xE0 == 0, got["caps"]
    assert got["nnp"] == "1"


def test_pids_limit_enforced(tag, run_id):
    code = (
        "import os,time\n"
        "kids=[]; err=None\n"
        "try:\n"
        " for _ in range(200):\n"
        "  pid=os.fork()\n"
        "  if pid==0:\n   time.sleep(30); os._exit(0)\n"
        "  kids.append(pid)\n"
        "except OSError as e:\n err=e.errno\n"
        "for k in kids: os.kill(k,9)\n"
        "for k in kids: os.waitpid(k,0)\n"
        "print(len(kids), err)"
    )
    n, err = probe(tag, run_id, code).split()
    assert int(err) == errno.EAGAIN
    limit = Hardening(Limits()).pids  # the pool's --pids-limit; it counts init and the parent too
    assert 0 < int(n) < limit


def test_memory_limit_enforced(tag, run_id):
    with pytest.raises(docker.errors.ContainerError) as ei:
        probe(tag, run_id, "b=bytearray(600<<20); print('survived')")
    assert ei.value.exit_status == 137  # OOM-killed at 256 MB, no swap to escape into


# ---- cleanup and doctor -------------------------------------------------------------------


def _start(tag: str, run_id: str, owner: str | None = None):
    return engine.client().containers.run(
        tag, labels=_labels(run_id, owner), detach=True, **doctor_mod.hardened_run_kwargs()
    )


def test_cleanup_containers_removes_only_the_runs_containers(tag, run_id):
    other = f"{run_id}-other"
    try:
        _start(tag, run_id)
        _start(tag, run_id)
        keep = _start(tag, other)
        assert len(containers.list_containers(run_id)) == 2
        assert containers.cleanup_containers(run_id) == 2
        assert containers.list_containers(run_id) == []
        keep.reload()
        assert keep.status == "running"
    finally:
        assert containers.cleanup_containers(other) == 1


def test_cleanup_leftovers_only_spares_live_runs(tag, run_id):
    dead = subprocess.Popen(["true"])
    dead.wait()
    live = _start(tag, run_id)  # owned by this (live) process
    orphan = _start(tag, run_id, owner=f"{socket.gethostname()}:{dead.pid}")
    stopped = _start(tag, run_id)
    stopped.stop(timeout=0)
    assert {c.id for c in containers.list_containers(run_id) if containers.is_leftover(c)} == {orphan.id, stopped.id}
    assert containers.cleanup_containers(run_id, leftovers_only=True) == 2
    assert [c.id for c in containers.list_containers(run_id)] == [live.id]


def test_doctor_all_ok(tag):
    checks = doctor_mod.doctor()
    names = [c.name for c in checks]
    assert names == [
        "docker SDK",
        "docker engine",
        "runner image",
        "hardened container",
        "leftover containers",
    ]
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    assert "cgroup v" in checks[1].detail


def test_doctor_reports_missing_engine_with_a_fix(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    engine.reset_client()
    try:
        checks = doctor_mod.doctor()
    finally:
        monkeypatch.delenv("DOCKER_HOST")
        engine.reset_client()
    by = {c.name: c for c in checks}
    assert by["docker SDK"].ok
    assert not by["docker engine"].ok and by["docker engine"].fix == "codesynth sandbox setup"
    assert not by["runner image"].ok and "not checked" in by["runner image"].detail


def test_cli_doctor_json_and_clean(tag, run_id):
    runner = CliRunner()
    res = runner.invoke(cli, ["sandbox", "doctor", "--json"])
    assert res.exit_code == 0, res.output
    assert all(c["ok"] for c in json.loads(res.output))
    _start(tag, run_id)
    res = runner.invoke(cli, ["sandbox", "clean", "--run", run_id, "--all"])
    assert res.exit_code == 0, res.output
    assert "removed 1 codesynth container(s)" in res.output
    assert containers.list_containers(run_id) == []
