"""Prime Intellect's `verifiers` 0.4 (`verifiers.v1`): the code environment as a v1 environment.

verifiers loads an environment by id (`vf-eval ID`, `--env.taskset.id ID`,
`vf.load_environment`): the id names an importable package whose `__all__` exports one `Taskset`
subclass, and optionally the `Env` that plays it and a `Harness` its agent runs by default. The
package `codesynth_rlef` (shipped with codesynth) exports the three classes of this module:

- `CodeTaskset`: one task per problem of the set (`--env.taskset.problems PATH`, else
  `CODESYNTH_PROBLEMS`); a task carries the problem's id and the messages that pose it, never a
  test.
- `CodeEnv`: one RLEF episode per rollout. The env plays the user: the model's reply is stepped
  through the library's episode (the one extraction rule and scoring path), the feedback of the
  public tests is the next user turn, and when the episode ends (public tests passed, or
  `max_turns` spent) its final reward, on public and private tests, is the trace's
  `codesynth_reward`. A model that stops early (its own turn limit) gets its last program judged.
- `ChatHarness`: the agent's program, run in-process: each segment is one chat completion through
  verifiers' interception endpoint (so the trace records it like any harness's). It hands the model
  no tool: the model's code runs only in codesynth's sandbox. Another harness that can continue a
  conversation can take its place (`--env.agent.harness.id null`; not tested here: verifiers
  installs that one's chat program with uv at run time).

The policy (`max_turns`, `scheme`, `feedback`) and a run directory (`out`) are taskset options, as
for the other trainers (docs/topics/rlef.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import verifiers.v1 as vf
from verifiers.v1.dialects.chat import message_to_wire

from codesynth.verifiers.environment import CodeEnvironment, shared_environment

REWARD = "codesynth_reward"


class CodeTaskData(vf.TaskData):
    problem_id: str
    """The problem of the served set this task poses (its tests stay in the environment)."""


class CodeTask(vf.Task[CodeTaskData]):
    """Scored by `CodeEnv` (the episode's final reward), not by a reward hook of its own."""

    @property
    def key(self) -> str:
        return self.data.problem_id


class CodeTasksetConfig(vf.TasksetConfig):
    problems: str | None = None
    """The problem set (JSONL); else the variable CODESYNTH_PROBLEMS."""
    max_turns: int | None = None
    """Model turns an episode has at most (RLEF: 3); else CODESYNTH_ENV_TURNS."""
    scheme: str | None = None
    """The final program's reward scheme (RLEF's +1/-1/-0.2); else CODESYNTH_ENV_SCHEME."""
    feedback: str | None = None
    """`rlef` or `codesynth`; else CODESYNTH_ENV_FEEDBACK."""
    out: str | None = None
    """A run directory every turn is recorded in; else CODESYNTH_ENV_OUT."""


class CodeTaskset(vf.Taskset[CodeTask, CodeTasksetConfig]):
    @property
    def environment(self) -> CodeEnvironment:
        """The process's code environment for this configuration (made once, on the shared pool)."""
        c = self.config
        return shared_environment(c.problems, max_turns=c.max_turns, scheme=c.scheme, feedback=c.feedback,
                                  out=c.out)

    def load(self) -> Iterator[CodeTask]:
        env = self.environment
        for pid, problem in env.problems.items():
            yield CodeTask(CodeTaskData(id=pid, name=pid, problem_id=pid, prompt=env.pose(problem)),
                           self.config.task)


class CodeEnvConfig(vf.EnvConfig):
    # The harness runs nothing of the model's, so a local runtime is all it needs (verifiers'
    # default is a hosted sandbox, reached through a tunnel).
    agent: vf.AgentConfig = vf.AgentConfig(runtime=vf.SubprocessConfig())
    """The one seat (as in verifiers' single-agent env): `--env.agent.*`."""


class CodeEnv(vf.Env[CodeEnvConfig]):
    """One RLEF episode per rollout, the env playing the user (see the module's doc)."""

    async def run(self, task: CodeTask, agents: vf.Agents) -> None:
        episode = self.taskset.environment.episode(task.data.problem_id)
        await episode.areset()
        obs = None
        async with agents.agent.interaction(task) as chat:
            segment = await chat.turn()  # the task's prompt opens the exchange
            while not segment.terminated:
                obs = await episode.astep(segment.last_reply)
                if obs.done:
                    break
                segment = await chat.turn(obs.feedback)
        if obs is None or not obs.done:  # the model stopped before the episode's end
            obs = await episode.afinish()
        trace = chat.trace
        trace.record_reward(REWARD, float(obs.reward or 0.0))
        trace.record_metric("turns", float(obs.turn))
        trace.record_metric("passed", float(bool(obs.passed)))


class ChatHarnessConfig(vf.HarnessConfig):
    pass


class ChatHarness(vf.Harness[ChatHarnessConfig]):
    """One chat completion per segment, in-process, through the interception endpoint (the
    contract every harness keeps); a later segment replays the conversation (`resume`)."""

    APPENDS_SYSTEM_PROMPT = True
    SUPPORTS_RESUME = True
    EXECUTES_CODE = False  # no tools: the model's code runs in codesynth's sandbox alone
    NEEDS_CONTAINER = False

    async def launch(self, ctx, trace, runtime, endpoint: str, secret: str, mcp_urls, data,
                     tool_interception_url: str | None = None) -> vf.ProgramResult:
        system, prompt = self.resolve_prompt(data)
        messages = [{"role": "system", "content": system}] if system else []
        if isinstance(prompt, str):
            messages.append({"role": "user", "content": prompt})
        else:
            messages += [m if isinstance(m, dict) else message_to_wire(m) for m in prompt or []]
        async with httpx.AsyncClient(timeout=httpx.Timeout(None, connect=30.0)) as http:
            r = await http.post(endpoint.rstrip("/") + "/chat/completions",
                                headers={"Authorization": f"Bearer {secret}"},
                                json={"model": ctx.model, "messages": messages})
        # A failed call is the harness's failure (verifiers raises HarnessError with the text).
        return vf.ProgramResult(exit_code=0 if r.is_success else 1, stdout="",
                                stderr="" if r.is_success else f"HTTP {r.status_code}: {r.text[:500]}")


__all__ = ["ChatHarness", "CodeEnv", "CodeTaskset"]
