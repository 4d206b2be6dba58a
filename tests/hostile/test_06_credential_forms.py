"""Item 6: a credential in any YAML form exits 2 and its text never reaches the output."""

from __future__ import annotations

import pytest

from tests.hostile.helpers import MINIMAL_AWS, run, write

SECRET = "hunter2"


@pytest.mark.parametrize(
    "form",
    [f"!!bool {SECRET}", f"!!int {SECRET}", f"!!float {SECRET}", f"!!binary {SECRET}", f"*{SECRET}",
     f"!custom {SECRET}", f"!!str {SECRET}", SECRET, f"{{from_env: {SECRET}!}}"],
)  # fmt: skip
def test_credential_forms_exit_2_without_echo(tmp_path, form):
    text = MINIMAL_AWS + f"monitoring:\n  grafana: {{admin_password: {form}}}\n"
    res = run("validate", str(write(tmp_path, text)))
    assert res.exit_code == 2, res.output
    assert SECRET not in res.output
    assert ":7:" in res.stderr  # located on the credential's line (line 7 of the spec)
