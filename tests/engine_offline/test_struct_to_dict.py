"""The recorder's Struct reader agrees with protobuf's own MessageToDict, value for value."""

from __future__ import annotations

import math

import pytest
from google.protobuf import json_format, struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from mlplat.stacks.plan.offline import struct_to_dict

JSON = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)


def _typed(v: object) -> object:
    if isinstance(v, dict):
        return {k: _typed(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_typed(x) for x in v]
    return (type(v).__name__, v)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), JSON, max_size=6))
def test_same_as_message_to_dict(doc: dict) -> None:
    s = struct_pb2.Struct()
    s.update(doc)
    ours, theirs = struct_to_dict(s), json_format.MessageToDict(s, preserving_proto_field_name=True)
    assert _typed(ours) == _typed(theirs)
    assert list(ours) == list(theirs)  # and the same key order


def test_unset_values_read_as_null_and_odd_numbers_fail_alike() -> None:
    s = struct_pb2.Struct()
    s.fields["unset"].Clear()
    assert struct_to_dict(s) == json_format.MessageToDict(s) == {"unset": None}
    for bad in (math.inf, -math.inf, math.nan):
        s = struct_pb2.Struct()
        s.update({"n": [bad]})
        with pytest.raises(ValueError, match="Fail to serialize"):
            json_format.MessageToDict(s)
        with pytest.raises(ValueError, match="Fail to serialize"):
            struct_to_dict(s)
