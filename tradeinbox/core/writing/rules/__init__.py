"""Pre-send check rules. Each module has ``check(draft, text, ctx) -> Iterable[Finding]``."""
