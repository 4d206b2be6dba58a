from mlplat.modules.aws_iam import (
    bounded_name,
    irsa_trust_policy,
    s3_bucket_access_statements,
    service_assume_role_policy,
    strip_scheme,
)


def test_bounded_name_is_deterministic_and_short():
    assert bounded_name("short") == "short"
    long = "x" * 100
    a, b = bounded_name(long), bounded_name(long)
    assert a == b and len(a) <= 64
    assert bounded_name("y" * 100) != a


def test_irsa_trust_policy_scopes_service_account():
    p = irsa_trust_policy("arn:p", "https://oidc.example/id/1", "ns", "sa")
    st = p["Statement"][0]
    assert st["Principal"] == {"Federated": "arn:p"}
    assert st["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert st["Condition"]["StringEquals"] == {
        "oidc.example/id/1:sub": "system:serviceaccount:ns:sa",
        "oidc.example/id/1:aud": "sts.amazonaws.com",
    }
    assert strip_scheme("https://a/b") == "a/b"


def test_service_assume_role_policy():
    assert service_assume_role_policy("ec2.amazonaws.com")["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"
    }
    multi = service_assume_role_policy("b.amazonaws.com", "a.amazonaws.com")
    assert multi["Statement"][0]["Principal"]["Service"] == ["a.amazonaws.com", "b.amazonaws.com"]


def test_s3_statements_read_only():
    ro = s3_bucket_access_statements(["arn:aws:s3:::b"], write=False)
    assert "s3:PutObject" not in ro[1]["Action"]
    assert ro[1]["Resource"] == ["arn:aws:s3:::b/*"]
