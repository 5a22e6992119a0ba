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
    # Substrings every match contains: a plain `in` test is far cheaper than the regex,
    # and most strings agents send contain none of them.
    hints: tuple[str, ...] = ()
    accept: Callable[[re.Match], bool] | None = None  # a second look, e.g. the Luhn check

    def may_match(self, value: str) -> bool:
        if self.kind == "card_number":
            return sum(map(value.count, "0123456789")) >= 13
        return any(hint in value for hint in self.hints)


PATTERNS = {
    p.kind: p
    for p in [
        Pattern(
            "private_key",
            re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
            ("PRIVATE KEY",),
        ),
        Pattern("bearer_token", re.compile(r"\b(?i:bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*"), ("earer", "EARER")),
        Pattern("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), ("eyJ",)),
        Pattern("aws_access_key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), ("AKIA", "ASIA")),
        Pattern("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"), ("AIza",)),
        Pattern(
            "github_token",
            re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}"),
            ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        ),
        Pattern("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), ("xox",)),
        Pattern("agentgov_key", re.compile(r"\bagk_[a-z0-9]{8}_[A-Za-z0-9_\-]{20,}"), ("agk_",)),
        Pattern("card_number", re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])"), accept=_card_number),
    ]
}


CARD_NUMBER = PATTERNS["card_number"]

# No pattern matches fewer characters than this (a 13-digit card number); shorter strings,
# most of what agents send, skip the regular expression entirely.
MIN_SECRET_LENGTH = 13


@lru_cache(maxsize=8192)
def _sensitive_word(key: str, key_words: tuple[str, ...]) -> str | None:
    normalized = "_" + re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_") + "_"
    return next((word for word in key_words if f"_{word}_" in normalized), None)


def _screen_for(patterns: tuple[Pattern, ...]) -> re.Pattern:
    """One regular expression of every pattern's hints: a single scan, in C, instead of a
    substring test per hint. (Card numbers have no hint; their digit count screens them.)"""
    return re.compile("|".join(re.escape(hint) for p in patterns for hint in p.hints) or r"(?!)")


@dataclass(frozen=True)
class Redactor:
    key_words: tuple[str, ...]
    patterns: tuple[Pattern, ...]
    screen: re.Pattern
    cards: bool

    def sensitive_key(self, key: str) -> str | None:
        """The configured word a key contains as whole parts: `db_password` and `X-Api-Key`
        match `password` and `api_key`; `max_tokens` does not match `token`."""
        return _sensitive_word(key, self.key_words)

    def redact_string(self, value: str, path: str, found: list[dict]) -> str:
        if len(value) < MIN_SECRET_LENGTH:
            return value
        if not self.screen.search(value) and not (self.cards and CARD_NUMBER.may_match(value)):
            return value
        for pattern in self.patterns:
            if not pattern.may_match(value):
                continue

            def replace(match: re.Match, pattern: Pattern = pattern) -> str:
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
                word = _sensitive_word(key, self.key_words) if isinstance(key, str) else None
                if word is not None and item not in (None, ""):
                    found.append({"path": f"{path}.{key}", "kind": word})
                    cleaned[key] = f"[REDACTED:{word}]"
                elif isinstance(item, str) and len(item) < MIN_SECRET_LENGTH:
                    cleaned[key] = item
                else:
                    cleaned[key] = self.redact(item, f"{path}.{key}", found)
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
    patterns = tuple(PATTERNS[kind] for kind in pattern_kinds)
    return Redactor(
        key_words=words, patterns=patterns, screen=_screen_for(patterns), cards=CARD_NUMBER in patterns
    )


def redactor() -> Redactor:
    """The redactor for the configured key words and pattern kinds (settings may change in tests)."""
    return _redactor(tuple(settings.AUDIT_REDACT_KEYS), tuple(settings.AUDIT_REDACT_PATTERNS))
