"""The domain: pure Python, no Django import (enforced by tests/test_core_purity.py).

Functions over plain dataclasses. Every rule returns the evidence behind its verdict.
"""
