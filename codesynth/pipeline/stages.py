"""The stages of `synth`, in the one order that the run executes and `plan` (`--dry-run`) estimates.

A stage is a registration of three things: whether the recipe asks for it, the requests it
will send (as messages, for the plan: built by the same prompt functions the stage sends), and
how it runs. `synth()` walks `STAGES` running each enabled stage; `plan()` walks the same list
estimating them, so the two cannot drift. `prompts.json` holds the first request each stage
actually sent, recorded at the client (`RecordingClient`). See docs/extending/stages.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codesynth.generators.client import ChatClient, ChatRequest
from codesynth.generators.prompts import (
    EVOLVE_OPERATIONS,
    evolve_messages,
    propose_messages,
    repair_messages,
    solution_messages,
    tests_messages,
)
from codesynth.models import Problem
from codesynth.problems import load_problems
from codesynth.rundir import read_rewards

from .generate import generate_evolve, generate_problems, generate_solutions, generate_tests
from .verify import VerifyConfig

if TYPE_CHECKING:
    from .synth import Recipe

Messages = list[dict[str, str]]


@dataclass
class Asks:
    """What a stage will request: one messages list per distinct prompt, each sent `n_each` times;
    `upper`: at most (repairs happen only for failures)."""

    messages: list[Messages]
    n_each: int = 1
    upper: bool = False


@dataclass
class Context:
    """What the stages of one run share."""

    recipe: Recipe
    client: ChatClient
    out: Path
    config: VerifyConfig
    log: Callable[[str], None]
    seeds: list[Problem]
    new: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def run_dir(self) -> Path:
        return self.out / "run"


@dataclass(frozen=True)
class SynthStage:
    name: str
    enabled: Callable[[Recipe], bool]
    #: the requests, given the recipe and the problems the stage will see
    asks: Callable[[Recipe, list[Problem], list[Problem]], Asks]
    #: runs the stage; None when it runs inside the stage before it (repair streams within solutions)
    run: Callable[[Context], None] | None


STAGES: list[SynthStage] = []


def stage(name: str, enabled: Callable[[Recipe], bool], asks: Callable[..., Asks], runs: bool = True):
    """Append the decorated `run(ctx)` to STAGES as stage `name` (the order of registration is the order)."""

    def deco(run: Callable[[Context], None]) -> Callable[[Context], None]:
        STAGES.append(SynthStage(name, enabled, asks, run if runs else None))
        return run

    return deco


def say_updated(log: Callable[[str], None], name: str, counts: dict[str, Any]) -> None:
    u = counts.get("updated")
    if u:
        log(f"{name}: changed since the run was started: {u['changed']}; {u['records_made_anew']} record(s) "
            "forgotten and made anew (unchanged replies from the cache)")


def _lang(recipe: Recipe, p: Problem) -> str:
    return recipe.solutions.language or p.language


# --------------------------------------------------------------------------- the stages, in order


def _problems_asks(recipe: Recipe, seeds: list[Problem], problems: list[Problem]) -> Asks:
    return Asks([propose_messages(seeds[: recipe.problems.k_seeds])] * recipe.problems.n)


@stage("problems", lambda r: r.problems.n > 0, _problems_asks)
def run_problems(ctx: Context) -> None:
    r = ctx.recipe.problems
    ctx.log(f"problems: {r.n} proposals from {len(ctx.seeds)} seeds")
    rep = generate_problems(ctx.seeds, ctx.client, ctx.out / "problems", n=r.n, k_seeds=r.k_seeds,
                            threshold=r.similarity, min_tests=r.min_tests, config=ctx.config)
    ctx.counts["problems"] = rep.counts
    say_updated(ctx.log, "problems", rep.counts)
    ctx.new = load_problems(ctx.out / "problems" / "problems.jsonl") if rep.counts.get("accepted") else []
    ctx.problems = [*ctx.seeds, *ctx.new]


def _tests_asks(recipe: Recipe, seeds: list[Problem], problems: list[Problem]) -> Asks:
    fn = [p for p in problems if p.kind in ("function", "calls") and p.entry_point]
    return Asks([tests_messages(p, recipe.tests.per_sample, _lang(recipe, p)) for p in fn], recipe.tests.n)


@stage("tests", lambda r: r.tests.enabled, _tests_asks)
def run_tests(ctx: Context) -> None:
    r = ctx.recipe.tests
    ctx.log(f"tests: {r.n} sample(s) of tests for each of {len(ctx.problems)} problems")
    rep = generate_tests(ctx.problems, ctx.client, ctx.out / "tests", n=r.n, tests_per_sample=r.per_sample,
                         config=ctx.config, language=ctx.recipe.solutions.language)
    ctx.counts["tests"] = rep.counts
    say_updated(ctx.log, "tests", rep.counts)
    ctx.problems = load_problems(ctx.out / "tests" / "problems.jsonl")


def _solutions_asks(recipe: Recipe, seeds: list[Problem], problems: list[Problem]) -> Asks:
    return Asks([solution_messages(p, [], _lang(recipe, p)) for p in problems], recipe.solutions.n)


@stage("solutions", lambda r: True, _solutions_asks)
def run_solutions(ctx: Context) -> None:
    recipe = ctx.recipe
    rounds = recipe.repair.rounds
    ctx.log(f"solutions: {recipe.solutions.n} per problem for {len(ctx.problems)} problems, judged as they "
            "arrive" + (f"; each failure repaired with the sandbox's feedback as its verdict lands (up to "
                        f"{rounds} turn(s))" if rounds else ""))
    rep = generate_solutions(ctx.problems, ctx.client, ctx.run_dir, n=recipe.solutions.n,
                             k_shots=recipe.solutions.k_shots, verify=True, repair_rounds=rounds,
                             config=ctx.config, language=recipe.solutions.language)
    counts = dict(rep.counts)
    say_updated(ctx.log, "solutions", counts)
    if rounds:
        ctx.counts["repair"] = counts.pop("repair")
    ctx.counts["solutions"] = {**counts, "pass_at_k": rep.pass_at_k}


def _repair_asks(recipe: Recipe, seeds: list[Problem], problems: list[Problem]) -> Asks:
    msgs = [repair_messages(p, p.references().get(_lang(recipe, p), ""), "a failing assert", _lang(recipe, p))
            for p in problems]
    return Asks(msgs, recipe.solutions.n * recipe.repair.rounds, upper=True)


@stage("repair", lambda r: r.repair.rounds > 0, _repair_asks, runs=False)
def run_repair(ctx: Context) -> None:  # pragma: no cover - streams inside run_solutions
    raise AssertionError("repair runs inside the solutions stage")


def _evolve_asks(recipe: Recipe, seeds: list[Problem], problems: list[Problem]) -> Asks:
    # Parents are the most-failed problems, known only after the solutions stage: the plan shows the
    # evolve prompt for the first problems as stand-ins (same template, same size).
    per = recipe.evolve.per_parent
    msgs = [evolve_messages(p, EVOLVE_OPERATIONS[j % len(EVOLVE_OPERATIONS)], "python")
            for p in problems[: recipe.evolve.parents] for j in range(per)]
    return Asks(msgs)


@stage("evolve", lambda r: r.evolve.parents > 0, _evolve_asks)
def run_evolve(ctx: Context) -> None:
    r = ctx.recipe.evolve
    ctx.log(f"evolve: new problems from the {r.parents} most-failed")
    rep = generate_evolve(ctx.problems, read_rewards(ctx.run_dir), ctx.client, ctx.out / "evolved",
                          parents=r.parents, per_parent=r.per_parent, config=ctx.config)
    ctx.counts["evolve"] = rep.counts
    say_updated(ctx.log, "evolve", rep.counts)


# --------------------------------------------------------------------------- what each stage sent


class RecordingClient:
    """The run's ChatClient, noting the first request each stage hands it (its `stage` is set by the
    run before each stage). A later `map` call within the solutions stage is its repair turn."""

    def __init__(self, client: ChatClient):
        self._client = client
        self.stage = ""
        self.first: dict[str, Messages] = {}
        self._maps: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _name(self) -> str:
        k = self._maps.get(self.stage, 0)
        self._maps[self.stage] = k + 1
        return "repair" if self.stage == "solutions" and k else self.stage

    def map(self, requests: Iterable[ChatRequest]) -> Iterator[tuple[ChatRequest, Any]]:
        name = self._name()

        def noted() -> Iterator[ChatRequest]:
            for req in requests:
                self.first.setdefault(name, [dict(m) for m in req.messages])
                yield req

        return self._client.map(noted())

    def complete(self, messages: Messages, *args: Any, **kw: Any) -> Any:
        self.first.setdefault(self._name(), [dict(m) for m in messages])
        return self._client.complete(messages, *args, **kw)
