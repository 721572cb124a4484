"""The host side of the supervisor's wire protocol: requests out, answers in, answers to verdicts."""
