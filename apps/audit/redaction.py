"""Secrets never reach the database: values under sensitive keys, and strings that look
like credentials, are replaced by `[REDACTED:<kind>]` before an event is stored."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings


def _luhn_valid(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, char in enumerate(digits):
        n = int(char)
        if i % 2 == parity:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card_number(match: re.Match) -> bool:
    digits = re.sub(r"\D", "", match.group(0))
    return 13 <= len(digits) <= 19 and _luhn_valid(digits)


@dataclass(frozen=True)
class Pattern:
    kind: str
    regex: re.Pattern
    accept: Callable[[re.Match], bool] | None = None  # a second look, e.g. the Luhn check


PATTERNS = {
    p.kind: p
    for p in [
        Pattern(
            "private_key",
            re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
        ),
        Pattern("bearer_token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]{8,}=*")),
        Pattern("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
        Pattern("aws_access_key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
        Pattern("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
        Pattern("github_token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}")),
        Pattern("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
        Pattern("agentgov_key", re.compile(r"\bagk_[a-z0-9]{8}_[A-Za-z0-9_\-]{20,}")),
        Pattern("card_number", re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])"), _card_number),
    ]
}


@dataclass(frozen=True)
class Redactor:
    key_words: tuple[str, ...]
    patterns: tuple[Pattern, ...]

    def sensitive_key(self, key: str) -> str | None:
        """The configured word a key contains as whole parts: `db_password` and `X-Api-Key`
        match `password` and `api_key`; `max_tokens` does not match `token`."""
        normalized = "_" + re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_") + "_"
        return next((word for word in self.key_words if f"_{word}_" in normalized), None)

    def redact_string(self, value: str, path: str, found: list[dict]) -> str:
        for pattern in self.patterns:
            if pattern.kind == "card_number" and not any(c.isdigit() for c in value):
                continue

            def replace(match: re.Match, pattern=pattern) -> str:
                if pattern.accept is not None and not pattern.accept(match):
                    return match.group(0)
                found.append({"path": path, "kind": pattern.kind})
                return f"[REDACTED:{pattern.kind}]"

            value = pattern.regex.sub(replace, value)
        return value

    def redact(self, value, path: str, found: list[dict]):
        """A copy of `value` with secrets replaced; each replacement is appended to `found`."""
        if isinstance(value, str):
            return self.redact_string(value, path, found)
        if isinstance(value, dict):
            cleaned = {}
            for key, item in value.items():
                item_path = f"{path}.{key}"
                word = self.sensitive_key(key) if isinstance(key, str) else None
                if word is not None and item not in (None, ""):
                    found.append({"path": item_path, "kind": word})
                    cleaned[key] = f"[REDACTED:{word}]"
                else:
                    cleaned[key] = self.redact(item, item_path, found)
            return cleaned
        if isinstance(value, list):
            return [self.redact(item, f"{path}[{i}]", found) for i, item in enumerate(value)]
        return value


@lru_cache(maxsize=4)
def _redactor(key_words: tuple[str, ...], pattern_kinds: tuple[str, ...]) -> Redactor:
    unknown = set(pattern_kinds) - set(PATTERNS)
    if unknown:
        raise ValueError(f"AUDIT_REDACT_PATTERNS names unknown kinds: {', '.join(sorted(unknown))}")
    words = tuple(re.sub(r"[^a-z0-9]+", "_", word.lower()).strip("_") for word in key_words)
    return Redactor(key_words=words, patterns=tuple(PATTERNS[kind] for kind in pattern_kinds))


def redactor() -> Redactor:
    """The redactor for the configured key words and pattern kinds (settings may change in tests)."""
    return _redactor(tuple(settings.AUDIT_REDACT_KEYS), tuple(settings.AUDIT_REDACT_PATTERNS))
