"""modules/sdk_imports.py: provider service packages load a resource module at a time, and the
package stays whole for anyone who asks for more. Each case runs in a fresh interpreter (the
finder is process-wide and the test process may already hold the full packages)."""

from __future__ import annotations

import subprocess
import sys

from mlplat.modules.sdk_imports import snake


def run(code: str) -> str:
    res = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return res.stdout.strip()


def test_snake_follows_the_generators_file_names():
    # file names in pulumi_aws 7.x: ec2/vpc_endpoint.py, iam/open_id_connect_provider.py, s3/bucket_v2.py
    assert [snake(n) for n in ("VpcEndpoint", "OpenIdConnectProvider", "BucketV2", "Eip")] == [
        "vpc_endpoint", "open_id_connect_provider", "bucket_v2", "eip"]


def test_a_resource_class_loads_its_module_only():
    out = run(
        "import sys, importlib, mlplat.modules, pulumi_aws as aws, pulumi_kubernetes as k8s\n"
        "vpc = aws.ec2.Vpc; dep = k8s.apps.v1.Deployment; args = aws.eks.ClusterVpcConfigArgs\n"
        "assert vpc is importlib.import_module('pulumi_aws.ec2.vpc').Vpc\n"
        "assert dep is importlib.import_module('pulumi_kubernetes.apps.v1.Deployment').Deployment\n"
        "assert args is importlib.import_module('pulumi_aws.eks._inputs').ClusterVpcConfigArgs\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pulumi_aws.ec2.', 'pulumi_kubernetes.apps.v1.'))))\n"
    )
    # vpc.py (it has no nested types, so no ec2._inputs) and Deployment.py with the type modules it
    # imports itself; not the other ~600 EC2 modules (the package's __init__ imports them all)
    assert out == str(sorted(["pulumi_aws.ec2.vpc", "pulumi_kubernetes.apps.v1.Deployment",
                              "pulumi_kubernetes.apps.v1._inputs", "pulumi_kubernetes.apps.v1.outputs"]))


def test_anything_else_gets_the_whole_package():
    out = run(
        "import sys, mlplat.modules, pulumi_aws as aws\n"
        "ns = {}; exec('from pulumi_aws.kms import *', ns)\n"  # star import: the real __init__ runs
        "print('Key' in ns, 'ReplicaKey' in ns, 'pulumi_aws.kms.replica_key' in sys.modules)\n"
        "print(aws.ec2.get_vpc.__name__, aws.ec2.InstanceType.__name__)\n"  # a function, an enum
        "try:\n    aws.ec2.NoSuchThing\nexcept AttributeError as e:\n    print('AttributeError', e)\n"
    )
    assert out.splitlines() == [
        "True True True",
        "get_vpc InstanceType",
        "AttributeError module 'pulumi_aws.ec2' has no attribute 'NoSuchThing'",
    ]
