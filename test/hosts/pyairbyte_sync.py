"""Runs the connector's Airbyte source inside PyAirbyte (the `airbyte` package), as a user would.

Usage: python pyairbyte_sync.py EXECUTABLE CONFIG_JSON WORK_DIR
Prints one JSON line: the check result, the streams, and the rows PyAirbyte's local cache holds
per stream after read(). Each protocol message the source printed is also validated against
airbyte-protocol-models (Pydantic), so a message PyAirbyte tolerates but the protocol does not
fails here. Run twice on one WORK_DIR: the cache keeps the state, so the second read gets only
what is new (with the config's `changes`, also changed and deleted messages: each row says its
flags and its `_ab_cdc_deleted_at`).
"""

import json
import os
import sys

executable, config_path, work_dir = sys.argv[1:4]
os.chdir(work_dir)
os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

import subprocess  # noqa: E402
import tempfile  # noqa: E402

import airbyte as ab  # noqa: E402
from airbyte_protocol.models import AirbyteMessage, Type  # noqa: E402


def protocol_messages(*args):
    """Every stdout line of one command, each parsed by the protocol's own models."""
    out = subprocess.run([executable, *args], capture_output=True, text=True, check=True).stdout
    return [AirbyteMessage.parse_raw(line) for line in out.splitlines() if line.strip()]


def validate_protocol():
    """spec, check, discover and read run directly, every message checked against the models."""
    counts = {}
    spec = protocol_messages("spec")
    assert [m.type for m in spec] == [Type.SPEC], spec
    check = [m for m in protocol_messages("check", "--config", config_path) if m.type == Type.CONNECTION_STATUS]
    assert check and check[0].connectionStatus.status.value == "SUCCEEDED", check
    catalog = [m for m in protocol_messages("discover", "--config", config_path) if m.type == Type.CATALOG]
    assert len(catalog) == 1
    configured = {
        "streams": [
            {"stream": json.loads(s.json(exclude_unset=True)), "sync_mode": "incremental",
             "destination_sync_mode": "append"}
            for s in catalog[0].catalog.streams
        ]
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(configured, f)
    for message in protocol_messages("read", "--config", config_path, "--catalog", f.name):
        counts[message.type.value] = counts.get(message.type.value, 0) + 1
    os.unlink(f.name)
    return counts

def flag_list(value):
    """A row's flags as the cache gives them back (a list, or JSON text), sorted."""
    if isinstance(value, str):
        value = json.loads(value)
    return sorted(value or [])


def deleted_at(row):
    """The change feed's deletion marker, when the stream has it (connection field changes)."""
    value = row.get("_ab_cdc_deleted_at")
    return None if value is None else str(value)


config = json.load(open(config_path))
source = ab.get_source(
    "source-imap-connector",
    config=config,
    local_executable=executable,
    install_if_missing=False,
)
source.check()
streams = source.get_available_streams()
source.select_all_streams()
cache = ab.get_default_cache()
result = source.read(cache=cache)
if os.environ.get("PYAIRBYTE_BENCH") == "1":
    # The bench times PyAirbyte's read alone: no listing of the cache, no protocol check.
    print("RESULT " + json.dumps({"streams": streams, "rows": {}, "processed": result.processed_records,
                                  "protocol": {}}))
    sys.exit(0)
rows = {}
for name in streams:
    dataset = result[name]
    rows[name] = sorted(
        ({"id": r["id"], "uid": r["uid"], "subject": r["subject"], "folder": r["folder"],
          "flags": flag_list(r.get("flags")), "deleted": deleted_at(r)} for r in dataset),
        key=lambda r: r["uid"],
    )
print("RESULT " + json.dumps({"streams": streams, "rows": rows, "processed": result.processed_records,
                  "protocol": validate_protocol()}))
