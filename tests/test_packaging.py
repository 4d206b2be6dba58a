"""Packaging: the installed `mlplat` is what tests and scripts import, from any directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_top_level_folder_shadows_the_package():
    # pytest puts the repository root on sys.path (pythonpath = ["."]); a folder named mlplat
    # there would hide the installed package and its mapped subpackages from a non-editable install.
    assert not (ROOT / "mlplat").exists()


def test_import_from_the_repository_root_sees_every_subpackage():
    code = (
        "import sys; sys.path.insert(0, '.');"
        "import mlplat.cli.main, mlplat.stacks, mlplat.modules.common, mlplat.policies, mlplat.envs, mlplat.templates;"
        "print(mlplat.__version__)"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    from mlplat import __version__

    assert res.stdout.strip() == __version__


def test_package_data_ships():
    from importlib import resources

    assert (resources.files("mlplat.envs") / "prod.yaml").is_file()
    assert (resources.files("mlplat.templates") / "render" / "__main__.py.j2").is_file()
    assert (resources.files("mlplat.stacks.platform_spec") / "aws_regions.json").is_file()
    assert (resources.files("mlplat.stacks.cost") / "pricing" / "aws-us-east-1.yaml").is_file()
