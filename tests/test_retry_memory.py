"""Memory for a retried fragment: scaled by the attempt number only after QCEngine reported a
resource error for this very input."""

from __future__ import annotations

import json

import pytest

from mbpipe.pipeline.fragment import error_path, input_digest, retry_memory_mb


@pytest.fixture
def fragment(tmp_path):
    input_path = tmp_path / "inputs" / "hf_1_b1.json"
    input_path.parent.mkdir()
    input_path.write_text('{"schema_name": "qcschema_atomic_input"}')
    return input_path, tmp_path / "hf_1_b1.json"


def leave_error(result_path, input_path, error_type):
    record = {
        "success": False,
        "error": {"error_type": error_type, "error_message": "..."},
        "extras": {"mbpipe": {"input_sha256": input_digest(input_path.read_text()), "attempts": 1}},
    }
    error_path(result_path).write_text(json.dumps(record))


def test_resource_error_scales_memory_by_attempt(fragment):
    input_path, result_path = fragment
    leave_error(result_path, input_path, "resource_error")
    assert retry_memory_mb(result_path, input_path, 2000, 1) == 2000
    assert retry_memory_mb(result_path, input_path, 2000, 2) == 4000
    assert retry_memory_mb(result_path, input_path, 2000, 3) == 6000


def test_other_errors_keep_memory(fragment):
    input_path, result_path = fragment
    leave_error(result_path, input_path, "unknown_error")
    assert retry_memory_mb(result_path, input_path, 2000, 3) == 2000


def test_error_of_an_older_input_is_ignored(fragment):
    input_path, result_path = fragment
    leave_error(result_path, input_path, "resource_error")
    input_path.write_text('{"schema_name": "qcschema_atomic_input", "changed": true}')
    assert retry_memory_mb(result_path, input_path, 2000, 2) == 2000
