"""Language of a message, among the eight languages tradeinbox handles.

English, Chinese, Spanish, Portuguese, French, German, Russian and Arabic (ISO 639-1
codes). Han, Cyrillic and Arabic script decide directly; Latin-script text goes to
lingua (``lingua-language-detector``), restricted to those languages, in low-accuracy
mode and on a bounded prefix: the detector is built once, lazily, on first use, because
building it and running it in high-accuracy mode is slow.
"""

from __future__ import annotations

import re
import threading
from typing import Any

__all__ = ["SUPPORTED_LANGUAGES", "detect_language"]

SUPPORTED_LANGUAGES = ("en", "zh", "es", "pt", "fr", "de", "ru", "ar")
#: Characters looked at; an inquiry's language is settled in its first lines.
LANGUAGE_PREFIX = 600

# --- language --------------------------------------------------------------------------

_detector_lock = threading.Lock()
_detector: Any = None


def _language_detector() -> Any:
    """lingua restricted to the 8 languages, low-accuracy mode, built once on first use."""
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                from lingua import Language, LanguageDetectorBuilder

                _detector = (
                    LanguageDetectorBuilder.from_languages(
                        Language.ENGLISH,
                        Language.CHINESE,
                        Language.SPANISH,
                        Language.PORTUGUESE,
                        Language.FRENCH,
                        Language.GERMAN,
                        Language.RUSSIAN,
                        Language.ARABIC,
                    )
                    .with_low_accuracy_mode()
                    .build()
                )
    return _detector


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text`` among :data:`SUPPORTED_LANGUAGES`, or None.

    Scripts decide directly (Han -> zh, Cyrillic -> ru, Arabic -> ar) since a few letters
    of them settle it; Latin-script text goes to lingua, on a bounded prefix for speed.
    """
    sample = re.sub(r"https?://\S+|\S+@\S+|[\d_#*=<>|\-]+", " ", text or "")[:LANGUAGE_PREFIX]
    letters = [c for c in sample if c.isalpha()]
    if len(letters) < 3:
        return None
    counts = {"zh": 0, "ru": 0, "ar": 0}
    for c in letters:
        o = ord(c)
        if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF:
            counts["zh"] += 1
        elif 0x0400 <= o <= 0x04FF:
            counts["ru"] += 1
        elif 0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F:
            counts["ar"] += 1
    script, n = max(counts.items(), key=lambda kv: kv[1])
    # Han characters carry a word each, so a lower share is enough.
    if n and (n / len(letters) >= 0.3 or (script == "zh" and n >= 4 and n / len(letters) >= 0.1)):
        return script
    found = _language_detector().detect_language_of(sample)
    return found.iso_code_639_1.name.lower() if found else None
