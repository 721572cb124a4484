"""What a run costs at the endpoint: token prices, the estimate before, the cap during."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from codesynth.errors import BudgetReached


class Prices(BaseModel):
    """USD per million tokens (a local or self-hosted endpoint costs 0)."""

    model_config = ConfigDict(extra="forbid")

    prompt_per_mtok: float = Field(default=0.0, ge=0)
    completion_per_mtok: float = Field(default=0.0, ge=0)

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.prompt_per_mtok + completion_tokens * self.completion_per_mtok) / 1e6


class Budget:
    """A spending cap checked before every request that would be paid (cache hits are free).

    Requests already in flight when the cap is reached still land (at most the endpoint's
    concurrency of them), so the overshoot is bounded and every reply received is kept.
    """

    def __init__(self, limit_usd: float, prices: Prices):
        self.limit_usd = limit_usd
        self.prices = prices

    def spent(self, usage) -> float:
        return self.prices.cost(usage.prompt_tokens, usage.completion_tokens)

    def check(self, usage) -> None:
        spent = self.spent(usage)
        if spent >= self.limit_usd:
            raise BudgetReached(
                f"budget of {usd(self.limit_usd)} reached ({usd(spent)} spent on {usage.requests} requests); "
                "what was generated is kept: continue with --resume and a higher --budget"
            )


def estimate_tokens(text: str) -> int:
    """A rough token count (4 characters a token) for the cost estimate of a dry run."""
    return max(1, len(text) // 4)


def usd(amount: float) -> str:
    """Dollars with the digits that matter: $12.50, $0.0155, $0.003 (never $0.00 for a small non-zero sum)."""
    if amount == 0 or abs(amount) >= 1:
        return f"${amount:,.2f}"
    decimals = max(2, -math.floor(math.log10(abs(amount))) + 2)
    text = f"{amount:.{decimals}f}".rstrip("0")
    return "$" + (text if len(text.split(".")[1]) >= 2 else f"{amount:.2f}")
