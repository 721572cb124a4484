"""Multi-turn code environments with execution feedback (RLEF), for every trainer.

`CodeEnvironment(problems, policy=Policy(), out=RUN_DIR)` holds a problem set, a backend and a
policy; `env.episode(problem_id)` is one episode: `reset()` gives the prompt, `step(reply)` the
feedback of the public tests, and when done the reward of public and private tests
(`areset`/`astep` awaited). See docs/topics/rlef.md.

| module        | its one job                                                     |
|---------------|-----------------------------------------------------------------|
| `policy`      | turn budget, feedback (RLEF's lines or codesynth's), reward scheme |
| `episode`     | one episode's reset and steps                                   |
| `environment` | the problem set, the backend, the recorder; episodes by id      |
| `records`     | Observation (what a model reads), EpisodeTurn (what is recorded) |
| `recorder`    | every turn to `episodes.jsonl`, the final verdicts to the run   |
"""

from codesynth.verifiers.environment.environment import CodeEnvironment, shared_environment
from codesynth.verifiers.environment.episode import Episode, default_pose
from codesynth.verifiers.environment.policy import Policy, rlef_feedback
from codesynth.verifiers.environment.recorder import EpisodeRecorder, read_episodes
from codesynth.verifiers.environment.records import EpisodeTurn, Observation

__all__ = ["CodeEnvironment", "Episode", "EpisodeRecorder", "EpisodeTurn", "Observation", "Policy",
           "default_pose", "read_episodes", "rlef_feedback", "shared_environment"]
