"""Policy rules: one rule per file, the class named after the file (see policies/base.py)."""
