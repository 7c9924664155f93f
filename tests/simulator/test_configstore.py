"""ConfigStore: configuration objects, their validation and the transaction around them.

The JSON texts below are copied verbatim from the SPS REST API reference pages
(global VNC options; local services: the indexer), quirks included.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from spstui.simulator import configstore
from spstui.simulator.configstore import CONFIG_PATHS, ERROR_CODES, ConfigStore
from spstui.simulator.errors import ApiError

VNC = "/api/configuration/vnc/options"
INDEXER = "/api/configuration/local_services/indexer"

ALICE = "a1f71d030e657634730b9e887cb59a5e56162860"
BOB = "b2e82e141f768745841c0f998dc60b6f67273971"

# ------------------------------------------------------------------ reference samples

VNC_SAMPLE_RESPONSE = """
{
  "body": {
    "audit": {
      "cleanup": {
        "enabled": false
      },
      "timestamping": {
        "selection": "local",
        "signing_interval": 30
      }
    },
    "service": {
      "enabled": true,
      "log_level": 4
    }
  },
  "key": "options",
  "meta": {
    "first": "/api/configuration/vnc/channel_policies",
    "href": "/api/configuration/vnc/options",
    "last": "/api/configuration/vnc/options",
    "next": null,
    "parent": "/api/configuration/vnc",
    "previous": "/api/configuration/vnc/channel_policies",
    "transaction": "/api/transaction"
  }
}
"""

VNC_EXAMPLE_LOCAL = """
{
  "audit": {
    "cleanup": {
      "enabled": false
    },
    "timestamping": {
      "selection": "local",
      "signing_interval": 30
    }
  },
  "service": {
    "enabled": true,
    "log_level": 4
  }
}
"""

VNC_EXAMPLE_CLEANUP = """
{
  "audit": {
    "cleanup": {
      "channel_database_cleanup_days": 10,
      "enabled": true
    },
    "timestamping": {
      "selection": "local",
      "signing_interval": 30
    }
  },
  "service": {
    "enabled": true,
    "log_level": 4
  }
}
"""

VNC_EXAMPLE_REMOTE = """
{
  "audit": {
    "cleanup": {
      "channel_database_cleanup_days": 10,
      "enabled": true
    },
    "timestamping": {
        "oid": {
          "enabled": false
        },
        "selection": "remote",
        "server_url": "<url-of-timestamping-server>",
        "signing_interval": 30
      }
  },
  "service": {
    "enabled": true,
    "log_level": 4
  }
}
"""

VNC_EXAMPLE_REMOTE_OID = """
{
  "audit": {
    "cleanup": {
      "channel_database_cleanup_days": 10,
      "enabled": true
    },
    "timestamping": {
        "oid": {
          "enabled": true,
          "policy_oid": "1.2.3"
        },
        "selection": "remote",
        "server_url": "<url-of-timestamping-server>",
        "signing_interval": 30
      }
  },
  "service": {
    "enabled": true,
    "log_level": 4
  }
}
"""

# The page's "<url-of-timestamping-server>" is a placeholder for a real (http://) URL.
PLACEHOLDER_URL = "<url-of-timestamping-server>"
TIMESTAMP_URL = "http://tsa.example.com:318/tsa"

INDEXER_SAMPLE_DISABLED = """
{ "body": { "decryption_keys": [ { "key": "e38d47bd-5374-4d7c-b683-e26ea77142e2", "meta": {
"href": "/api/configuration/x509/e38d47bd-5374-4d7c-b683-e26ea77142e2" } } ],
"number_of_workers": 1, "remote_access": { "enabled": false }, "selection": "integrated" },
"key": "indexer", "meta": { "first": "/api/configuration/local_services/admin_web",
"href": "/api/configuration/local_services/indexer",
"last": "/api/configuration/local_services/user_web",
"next": "/api/configuration/local_services/postgresql",
"parent": "/api/configuration/local_services",
"previous": "/api/configuration/local_services/admin_web", "remaining_seconds": 599,
"transaction": "/api/transaction" } }
"""

# Note the page's duplicated "number_of_workers" key (the second one is 0).
INDEXER_SAMPLE_ENABLED = """
{ "body": { "decryption_keys": [], "number_of_workers": 1, "number_of_workers": 0,
"remote_access": { "access_restriction": { "allowed_from": [ "10.40.0.0/16" ],
"enabled": true }, "enabled": true, "listen": [ { "address": {
"key": "nic1.interfaces.ff7574025754b3df1647001.addresses.1", "meta": {
"href": "/api/configuration/network/nics/nic1#interfaces/ff7574025754b3df1647001/addresses/1"
} }, "port": 12345 } ], "ssl_config": { "ca": {
"key": "52735ce4-4a43-458d-8803-c23c715640a5", "meta": {
"href": "/api/configuration/x509/52735ce4-4a43-458d-8803-c23c715640a5" } }, "service": {
"key": "60eacdba-d889-4cb4-bdb0-cbbd4054f01c", "meta": {
"href": "/api/configuration/x509/60eacdba-d889-4cb4-bdb0-cbbd4054f01c" } }, "worker": {
"key": "93198544-1e82-4661-90b7-e01b0b1e2ed9", "meta": {
"href": "/api/configuration/x509/93198544-1e82-4661-90b7-e01b0b1e2ed9" } } } },
"selection": "integrated" }, "key": "indexer", "meta": {
"first": "/api/configuration/local_services/admin_web",
"href": "/api/configuration/local_services/indexer",
"last": "/api/configuration/local_services/user_web",
"next": "/api/configuration/local_services/postgresql",
"parent": "/api/configuration/local_services",
"previous": "/api/configuration/local_services/admin_web", "remaining_seconds": 599,
"transaction": "/api/transaction" } }
"""

INDEXER_PUT_EXAMPLE = """
{ "decryption_keys": ["216b33dd-a1cd-41b1-85c5-66290b7a043d"],
"number_of_near_realtime_workers": 0, "number_of_workers": 2, "remote_access": {
"access_restriction": { "allowed_from": [ "10.40.0.0/16" ], "enabled": true },
"enabled": true, "listen": [ { "address": "nic1.interfaces.ff7574025754b3df1647001.addresses.1",
"port": 12354 } ], "ssl_config": { "ca": "773ed50d-3066-44f1-84ec-cbef59111702",
"service": "a8b6c791-c24a-466d-ac50-a425a5253d46",
"worker": "c54c436f-63c5-4a2e-a59e-7ad904bbf0f2" } }, "selection": "integrated" }
"""


def vnc_example(text: str) -> dict[str, Any]:
    """A VNC example body, with the page's URL placeholder filled in."""
    body: dict[str, Any] = json.loads(text.replace(PLACEHOLDER_URL, TIMESTAMP_URL))
    return body


def indexer_enabled_body() -> dict[str, Any]:
    """The body of the "external indexers enabled" sample, with its duplicated key read as the
    near-realtime worker count it evidently is."""
    text = INDEXER_SAMPLE_ENABLED.replace(
        '"number_of_workers": 0', '"number_of_near_realtime_workers": 0'
    )
    body: dict[str, Any] = json.loads(text)["body"]
    return body


# ------------------------------------------------------------------ helpers


class FakeClock:
    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def api_error(fn: Callable[..., Any], *args: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        fn(*args)
    return info.value


def store_with_open_transaction(login: str = ALICE, **kwargs: Any) -> ConfigStore:
    store = ConfigStore(**kwargs)
    store.open_transaction(login)
    return store


def status_of(answer: dict[str, Any]) -> str:
    status: str = answer["body"]["status"]
    return status


# ------------------------------------------------------------------ GET shapes


def test_get_vnc_options_equals_the_reference_sample_response() -> None:
    store = ConfigStore()
    assert store.get(VNC, ALICE) == json.loads(VNC_SAMPLE_RESPONSE)


def test_get_indexer_equals_the_disabled_sample_on_a_two_worker_appliance() -> None:
    sample = json.loads(INDEXER_SAMPLE_DISABLED)
    expected_body = dict(sample["body"], number_of_workers=2, number_of_near_realtime_workers=0)
    answer = ConfigStore().get(INDEXER, ALICE)
    assert answer["body"] == expected_body
    assert answer["key"] == sample["key"] == "indexer"
    assert answer["meta"] == sample["meta"]


def test_get_serves_remaining_seconds_only_where_the_samples_have_it() -> None:
    store = ConfigStore()
    assert "remaining_seconds" not in store.get(VNC, ALICE)["meta"]
    assert store.get(INDEXER, ALICE)["meta"]["remaining_seconds"] == 599


def test_get_answers_are_copies_that_cannot_change_the_store() -> None:
    store = ConfigStore()
    answer = store.get(INDEXER, ALICE)
    answer["body"]["decryption_keys"].clear()
    answer["meta"]["href"] = "/elsewhere"
    assert store.get(INDEXER, ALICE) == ConfigStore().get(INDEXER, ALICE)


def test_get_of_an_unknown_path_is_404_not_found() -> None:
    err = api_error(ConfigStore().get, "/api/configuration/vnc/nonexistent", ALICE)
    assert (err.status, err.code) == (404, "NotFound")


def test_get_accepts_a_trailing_slash() -> None:
    assert ConfigStore().get(VNC + "/", ALICE)["key"] == "options"


# ------------------------------------------------------------------ the pages' PUT bodies


@pytest.mark.parametrize(
    "example",
    [VNC_EXAMPLE_LOCAL, VNC_EXAMPLE_CLEANUP, VNC_EXAMPLE_REMOTE, VNC_EXAMPLE_REMOTE_OID],
    ids=["local", "cleanup", "remote", "remote-oid"],
)
def test_each_vnc_example_body_is_accepted_and_read_back(example: str) -> None:
    body = vnc_example(example)
    store = store_with_open_transaction()
    answer = store.put(VNC, body, ALICE)
    assert answer == {
        "key": "options",
        "meta": {
            "href": VNC,
            "parent": "/api/configuration/vnc",
            "transaction": "/api/transaction",
        },
    }
    assert store.get(VNC, ALICE)["body"] == body
    store.commit(ALICE, {"status": "commit"})
    assert store.committed(VNC) == body


def test_the_vnc_pages_url_placeholder_itself_is_not_a_valid_server_url() -> None:
    store = store_with_open_transaction()
    err = api_error(store.put, VNC, json.loads(VNC_EXAMPLE_REMOTE), ALICE)
    assert (err.status, err.code) == (400, "InvalidValue")
    assert err.details is not None
    assert err.details["field"] == "audit.timestamping.server_url"


def test_indexer_put_example_is_accepted_and_shown_with_expanded_references() -> None:
    store = store_with_open_transaction()
    store.put(INDEXER, json.loads(INDEXER_PUT_EXAMPLE), ALICE)
    body = store.get(INDEXER, ALICE)["body"]
    assert body == {
        "decryption_keys": [
            {
                "key": "216b33dd-a1cd-41b1-85c5-66290b7a043d",
                "meta": {"href": "/api/configuration/x509/216b33dd-a1cd-41b1-85c5-66290b7a043d"},
            }
        ],
        "number_of_near_realtime_workers": 0,
        "number_of_workers": 2,
        "remote_access": {
            "access_restriction": {"allowed_from": ["10.40.0.0/16"], "enabled": True},
            "enabled": True,
            "listen": [
                {
                    "address": {
                        "key": "nic1.interfaces.ff7574025754b3df1647001.addresses.1",
                        "meta": {
                            "href": "/api/configuration/network/nics/nic1"
                            "#interfaces/ff7574025754b3df1647001/addresses/1"
                        },
                    },
                    "port": 12354,
                }
            ],
            "ssl_config": {
                name: {"key": key, "meta": {"href": f"/api/configuration/x509/{key}"}}
                for name, key in (
                    ("ca", "773ed50d-3066-44f1-84ec-cbef59111702"),
                    ("service", "a8b6c791-c24a-466d-ac50-a425a5253d46"),
                    ("worker", "c54c436f-63c5-4a2e-a59e-7ad904bbf0f2"),
                )
            },
        },
        "selection": "integrated",
    }


def test_indexer_enabled_sample_body_is_accepted_in_expanded_form_and_read_back_unchanged() -> None:
    body = indexer_enabled_body()
    store = store_with_open_transaction()
    store.put(INDEXER, body, ALICE)
    assert store.get(INDEXER, ALICE)["body"] == body


def test_indexer_enabled_sample_parsed_verbatim_is_rejected_for_zero_workers() -> None:
    # json keeps the last of the duplicated keys: number_of_workers 0.
    body = json.loads(INDEXER_SAMPLE_ENABLED)["body"]
    assert body["number_of_workers"] == 0
    store = store_with_open_transaction()
    err = api_error(store.put, INDEXER, body, ALICE)
    assert (err.status, err.code) == (400, "InvalidValue")
    assert err.details is not None and err.details["field"] == "number_of_workers"


def test_indexer_put_without_near_realtime_workers_stores_zero() -> None:
    body = json.loads(INDEXER_PUT_EXAMPLE)
    body["number_of_near_realtime_workers"] = 3
    store = store_with_open_transaction()
    store.put(INDEXER, body, ALICE)
    del body["number_of_near_realtime_workers"]
    store.put(INDEXER, body, ALICE)
    assert store.get(INDEXER, ALICE)["body"]["number_of_near_realtime_workers"] == 0


@pytest.mark.parametrize("path", CONFIG_PATHS)
def test_putting_back_the_get_body_changes_nothing(path: str) -> None:
    store = store_with_open_transaction()
    store.put(path, store.get(path, ALICE)["body"], ALICE)
    assert store.changes(ALICE)["changes"] == []


# ------------------------------------------------------------------ validation

Mutation = Callable[[dict[str, Any]], None]


def _set(dotted: str, value: Any) -> Mutation:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = dotted.split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _delete(dotted: str) -> Mutation:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = dotted.split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[last]

    return mutate


def _remote_vnc() -> dict[str, Any]:
    return vnc_example(VNC_EXAMPLE_REMOTE_OID)


def _indexer() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(INDEXER_PUT_EXAMPLE)
    return body


TS = "audit.timestamping"
ALLOWED = "remote_access.access_restriction.allowed_from"

# (base body, mutation, expected code, field named in the message and details)
INVALID_BODIES: list[tuple[str, Callable[[], dict[str, Any]], Mutation, str, str]] = [
    # VNC options
    (VNC, _remote_vnc, _set("colour", "blue"), "UnknownField", "colour"),
    (VNC, _remote_vnc, _set("audit.cleanup.interval", 3), "UnknownField", "audit.cleanup.interval"),
    (VNC, _remote_vnc, _delete("audit"), "MissingField", "audit"),
    (VNC, _remote_vnc, _delete("service.log_level"), "MissingField", "service.log_level"),
    (VNC, _remote_vnc, _set("service.enabled", "yes"), "InvalidType", "service.enabled"),
    (VNC, _remote_vnc, _set("service.enabled", 1), "InvalidType", "service.enabled"),
    (VNC, _remote_vnc, _set("service.log_level", True), "InvalidType", "service.log_level"),
    (VNC, _remote_vnc, _set("service.log_level", 4.0), "InvalidType", "service.log_level"),
    (VNC, _remote_vnc, _set("service.log_level", 11), "InvalidValue", "service.log_level"),
    (VNC, _remote_vnc, _set("service.log_level", -1), "InvalidValue", "service.log_level"),
    (VNC, _remote_vnc, _set("audit", []), "InvalidType", "audit"),
    (VNC, _remote_vnc, _set("audit.cleanup.enabled", 0), "InvalidType", "audit.cleanup.enabled"),
    (
        VNC,
        _remote_vnc,
        _delete("audit.cleanup.channel_database_cleanup_days"),
        "MissingField",
        "audit.cleanup.channel_database_cleanup_days",
    ),
    (
        VNC,
        _remote_vnc,
        _set("audit.cleanup.channel_database_cleanup_days", 0),
        "InvalidValue",
        "audit.cleanup.channel_database_cleanup_days",
    ),
    (
        VNC,
        _remote_vnc,
        _set("audit.cleanup.channel_database_cleanup_days", "10"),
        "InvalidType",
        "audit.cleanup.channel_database_cleanup_days",
    ),
    (VNC, _remote_vnc, _set(f"{TS}.selection", "ntp"), "InvalidValue", f"{TS}.selection"),
    (VNC, _remote_vnc, _delete(f"{TS}.selection"), "MissingField", f"{TS}.selection"),
    (VNC, _remote_vnc, _set(f"{TS}.signing_interval", 0), "InvalidValue", f"{TS}.signing_interval"),
    (
        VNC,
        _remote_vnc,
        _set(f"{TS}.signing_interval", False),
        "InvalidType",
        f"{TS}.signing_interval",
    ),
    (VNC, _remote_vnc, _delete(f"{TS}.server_url"), "MissingField", f"{TS}.server_url"),
    (VNC, _remote_vnc, _delete(f"{TS}.oid"), "MissingField", f"{TS}.oid"),
    (
        VNC,
        _remote_vnc,
        _set(f"{TS}.server_url", "https://tsa.example.com/"),
        "InvalidValue",
        f"{TS}.server_url",
    ),
    (
        VNC,
        _remote_vnc,
        _set(f"{TS}.server_url", "http://user:secret@tsa.example.com/"),
        "InvalidValue",
        f"{TS}.server_url",
    ),
    (
        VNC,
        _remote_vnc,
        _set(f"{TS}.server_url", "ftp://tsa.example.com/"),
        "InvalidValue",
        f"{TS}.server_url",
    ),
    (VNC, _remote_vnc, _set(f"{TS}.server_url", "http://"), "InvalidValue", f"{TS}.server_url"),
    (VNC, _remote_vnc, _set(f"{TS}.server_url", 42), "InvalidType", f"{TS}.server_url"),
    (VNC, _remote_vnc, _set(f"{TS}.oid", True), "InvalidType", f"{TS}.oid"),
    (VNC, _remote_vnc, _set(f"{TS}.oid.enabled", "true"), "InvalidType", f"{TS}.oid.enabled"),
    (VNC, _remote_vnc, _delete(f"{TS}.oid.policy_oid"), "MissingField", f"{TS}.oid.policy_oid"),
    (VNC, _remote_vnc, _set(f"{TS}.oid.policy_oid", "abc"), "InvalidValue", f"{TS}.oid.policy_oid"),
    (
        VNC,
        _remote_vnc,
        _set(f"{TS}.oid.policy_oid", "1..2"),
        "InvalidValue",
        f"{TS}.oid.policy_oid",
    ),
    (VNC, _remote_vnc, _set(f"{TS}.oid.policy_oid", 123), "InvalidType", f"{TS}.oid.policy_oid"),
    (VNC, _remote_vnc, _set(f"{TS}.selection", "local"), "UnknownField", f"{TS}.oid"),
    # indexer
    (INDEXER, _indexer, _set("workers", 2), "UnknownField", "workers"),
    (INDEXER, _indexer, _delete("decryption_keys"), "MissingField", "decryption_keys"),
    (INDEXER, _indexer, _set("selection", "external"), "InvalidValue", "selection"),
    (INDEXER, _indexer, _set("number_of_workers", 0), "InvalidValue", "number_of_workers"),
    (INDEXER, _indexer, _set("number_of_workers", -2), "InvalidValue", "number_of_workers"),
    (INDEXER, _indexer, _set("number_of_workers", True), "InvalidType", "number_of_workers"),
    (INDEXER, _indexer, _set("number_of_workers", "2"), "InvalidType", "number_of_workers"),
    (
        INDEXER,
        _indexer,
        _set("number_of_near_realtime_workers", -1),
        "InvalidValue",
        "number_of_near_realtime_workers",
    ),
    (INDEXER, _indexer, _set("decryption_keys", "k1"), "InvalidType", "decryption_keys"),
    (INDEXER, _indexer, _set("decryption_keys", [7]), "InvalidType", "decryption_keys[0]"),
    (
        INDEXER,
        _indexer,
        _set("decryption_keys", ["ok-key", {"key": 7}]),
        "InvalidType",
        "decryption_keys[1].key",
    ),
    (
        INDEXER,
        _indexer,
        _set("decryption_keys", [{"key": "k", "extra": 1}]),
        "UnknownField",
        "decryption_keys[0].extra",
    ),
    (INDEXER, _indexer, _set("decryption_keys", [""]), "InvalidValue", "decryption_keys[0]"),
    (
        INDEXER,
        _indexer,
        _set("remote_access.enabled", "no"),
        "InvalidType",
        "remote_access.enabled",
    ),
    (INDEXER, _indexer, _delete("remote_access.listen"), "MissingField", "remote_access.listen"),
    (
        INDEXER,
        _indexer,
        _delete("remote_access.access_restriction"),
        "MissingField",
        "remote_access.access_restriction",
    ),
    (
        INDEXER,
        _indexer,
        _set("remote_access.access_restriction.enabled", "yes"),
        "InvalidType",
        "remote_access.access_restriction.enabled",
    ),
    (INDEXER, _indexer, _set(ALLOWED, "10.40.0.0/16"), "InvalidType", ALLOWED),
    (INDEXER, _indexer, _set(ALLOWED, ["10.40.0.1/16"]), "InvalidValue", f"{ALLOWED}[0]"),
    (
        INDEXER,
        _indexer,
        _set(ALLOWED, ["10.40.0.0/16", "10.300.0.0/16"]),
        "InvalidValue",
        f"{ALLOWED}[1]",
    ),
    (INDEXER, _indexer, _set(ALLOWED, ["10.40.0.0/33"]), "InvalidValue", f"{ALLOWED}[0]"),
    (INDEXER, _indexer, _set(ALLOWED, ["10.40.0.0"]), "InvalidValue", f"{ALLOWED}[0]"),
    (INDEXER, _indexer, _set(ALLOWED, ["2001:db8::/32"]), "InvalidValue", f"{ALLOWED}[0]"),
    (INDEXER, _indexer, _set(ALLOWED, [16]), "InvalidType", f"{ALLOWED}[0]"),
    (INDEXER, _indexer, _set(ALLOWED, []), "InvalidValue", ALLOWED),
    (
        INDEXER,
        _indexer,
        _set("remote_access.listen.0.port", 0),
        "InvalidValue",
        "remote_access.listen[0].port",
    ),
    (
        INDEXER,
        _indexer,
        _set("remote_access.listen.0.port", 65536),
        "InvalidValue",
        "remote_access.listen[0].port",
    ),
    (
        INDEXER,
        _indexer,
        _set("remote_access.listen.0.port", "12354"),
        "InvalidType",
        "remote_access.listen[0].port",
    ),
    (
        INDEXER,
        _indexer,
        _set("remote_access.listen.0.address", "eth0"),
        "InvalidValue",
        "remote_access.listen[0].address",
    ),
    (
        INDEXER,
        _indexer,
        _delete("remote_access.listen.0.address"),
        "MissingField",
        "remote_access.listen[0].address",
    ),
    (INDEXER, _indexer, _set("remote_access.listen", []), "InvalidValue", "remote_access.listen"),
    (
        INDEXER,
        _indexer,
        _delete("remote_access.ssl_config.worker"),
        "MissingField",
        "remote_access.ssl_config.worker",
    ),
    (
        INDEXER,
        _indexer,
        _set("remote_access.ssl_config.ca", None),
        "InvalidType",
        "remote_access.ssl_config.ca",
    ),
]


@pytest.mark.parametrize(
    ("path", "base", "mutate", "code", "field"),
    INVALID_BODIES,
    ids=[f"{code}:{field}" for _, _, _, code, field in INVALID_BODIES],
)
def test_invalid_put_is_400_naming_the_field_and_changes_nothing(
    path: str, base: Callable[[], dict[str, Any]], mutate: Mutation, code: str, field: str
) -> None:
    body = base()
    mutate(body)
    store = store_with_open_transaction()
    before = store.get(path, ALICE)
    err = api_error(store.put, path, body, ALICE)
    assert (err.status, err.code) == (400, code)
    assert err.details is not None and err.details["field"] == field
    assert field in err.message
    assert store.get(path, ALICE) == before
    assert store.changes(ALICE)["changes"] == []


def test_bad_allowed_from_network_names_the_bad_value() -> None:
    body = _indexer()
    body["remote_access"]["access_restriction"]["allowed_from"] = ["10.40.0.0/16", "10.40.0.9/16"]
    store = store_with_open_transaction()
    err = api_error(store.put, INDEXER, body, ALICE)
    assert err.details is not None
    assert err.details["value"] == "10.40.0.9/16"
    assert "10.40.0.9/16" in err.message


def test_https_server_url_message_says_https_is_not_supported() -> None:
    body = _remote_vnc()
    body["audit"]["timestamping"]["server_url"] = "https://tsa.example.com/"
    err = api_error(store_with_open_transaction().put, VNC, body, ALICE)
    assert "HTTPS" in err.message


def test_valid_variants_beyond_the_examples_are_accepted() -> None:
    store = store_with_open_transaction()
    vnc = vnc_example(VNC_EXAMPLE_LOCAL)
    vnc["service"] = {"enabled": False, "log_level": 0}
    vnc["audit"]["cleanup"] = {"enabled": False, "channel_database_cleanup_days": 5}
    store.put(VNC, vnc, ALICE)
    indexer = _indexer()
    indexer["decryption_keys"] = []
    indexer["remote_access"]["access_restriction"] = {"enabled": False}
    indexer["remote_access"]["listen"][0]["port"] = 65535
    store.put(INDEXER, indexer, ALICE)
    assert store.get(VNC, ALICE)["body"] == vnc
    assert store.get(INDEXER, ALICE)["body"]["remote_access"]["access_restriction"] == {
        "enabled": False
    }


@pytest.mark.parametrize("body", [[], "audit", None, 3], ids=["list", "string", "null", "int"])
def test_put_of_a_non_object_body_is_400_invalid_body(body: object) -> None:
    err = api_error(store_with_open_transaction().put, VNC, body, ALICE)
    assert (err.status, err.code) == (400, "InvalidBody")


def test_put_of_the_get_wrapper_is_rejected_with_a_message_asking_for_the_bare_body() -> None:
    store = store_with_open_transaction()
    wrapped = store.get(VNC, ALICE)
    err = api_error(store.put, VNC, wrapped, ALICE)
    assert (err.status, err.code) == (400, "InvalidBody")
    assert "bare" in err.message and '"body"' in err.message


def test_put_to_an_unknown_path_is_404() -> None:
    store = store_with_open_transaction()
    err = api_error(store.put, "/api/configuration/vnc/other", {}, ALICE)
    assert (err.status, err.code) == (404, "NotFound")


# ------------------------------------------------------------------ transactions


def test_put_without_a_transaction_is_400_telling_to_post_api_transaction_first() -> None:
    store = ConfigStore()
    err = api_error(store.put, VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    assert (err.status, err.code) == (400, "NoTransaction")
    assert "POST /api/transaction" in err.message
    assert store.committed(VNC) == vnc_example(VNC_EXAMPLE_LOCAL)


def test_put_by_another_login_while_locked_is_refused() -> None:
    store = store_with_open_transaction(ALICE)
    err = api_error(store.put, VNC, vnc_example(VNC_EXAMPLE_CLEANUP), BOB)
    assert (err.status, err.code) == (400, "NoTransaction")
    assert store.get(VNC, ALICE)["body"] == vnc_example(VNC_EXAMPLE_LOCAL)


def test_pending_change_is_visible_to_its_own_login_only() -> None:
    store = store_with_open_transaction(ALICE)
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    assert store.get(VNC, ALICE)["body"] == vnc_example(VNC_EXAMPLE_CLEANUP)
    assert store.get(VNC, BOB)["body"] == vnc_example(VNC_EXAMPLE_LOCAL)
    assert store.committed(VNC) == vnc_example(VNC_EXAMPLE_LOCAL)


def test_commit_applies_all_pending_changes_and_closes_the_transaction() -> None:
    store = store_with_open_transaction(ALICE)
    store.put(VNC, vnc_example(VNC_EXAMPLE_REMOTE_OID), ALICE)
    store.put(INDEXER, _indexer(), ALICE)
    assert store.get(INDEXER, BOB)["body"]["number_of_workers"] == 2
    assert store.get(INDEXER, BOB)["body"]["remote_access"] == {"enabled": False}

    answer = store.commit(ALICE, {"status": "commit", "message": "enable external indexers"})

    assert answer["body"] == {"commit_message": "enable external indexers", "status": "closed"}
    assert store.get(VNC, BOB)["body"] == vnc_example(VNC_EXAMPLE_REMOTE_OID)
    assert store.get(INDEXER, BOB)["body"]["remote_access"]["enabled"] is True
    assert store.committed(INDEXER) == store.get(INDEXER, ALICE)["body"]
    assert status_of(store.transaction(ALICE)) == "closed"
    # The lock is free again.
    assert status_of(store.open_transaction(BOB)) == "open"


def test_pending_changes_are_copies_not_live_references_to_the_put_body() -> None:
    body = vnc_example(VNC_EXAMPLE_CLEANUP)
    store = store_with_open_transaction(ALICE)
    store.put(VNC, body, ALICE)
    body["service"]["log_level"] = 9
    assert store.get(VNC, ALICE)["body"]["service"]["log_level"] == 4


@pytest.mark.parametrize(
    ("request_body", "code"),
    [
        ({"status": "rollback"}, "InvalidValue"),
        ({"status": "Commit"}, "InvalidValue"),
        ({"status": 1}, "InvalidType"),
        ({}, "MissingField"),
        ({"message": "x"}, "MissingField"),
    ],
)
def test_commit_with_anything_but_status_commit_is_400_naming_status(
    request_body: object, code: str
) -> None:
    store = store_with_open_transaction(ALICE)
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    err = api_error(store.commit, ALICE, request_body)
    assert (err.status, err.code) == (400, code)
    assert err.details is not None and err.details["field"] == "status"
    assert "status" in err.message
    assert status_of(store.transaction(ALICE)) == "open"
    assert store.committed(VNC) == vnc_example(VNC_EXAMPLE_LOCAL)


def test_commit_with_unknown_keys_or_a_non_object_body_is_400() -> None:
    store = store_with_open_transaction(ALICE)
    err = api_error(store.commit, ALICE, {"status": "commit", "force": True})
    assert (err.status, err.code) == (400, "UnknownField")
    err = api_error(store.commit, ALICE, "commit")
    assert (err.status, err.code) == (400, "InvalidBody")
    err = api_error(store.commit, ALICE, {"status": "commit", "message": 5})
    assert (err.status, err.code) == (400, "InvalidType")


def test_commit_without_an_open_transaction_is_400() -> None:
    store = ConfigStore()
    err = api_error(store.commit, ALICE, {"status": "commit"})
    assert (err.status, err.code) == (400, "NoTransaction")


def test_commit_by_a_login_without_the_lock_is_400_and_keeps_the_owners_changes() -> None:
    store = store_with_open_transaction(ALICE)
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    err = api_error(store.commit, BOB, {"status": "commit"})
    assert (err.status, err.code) == (400, "NoTransaction")
    assert store.committed(VNC) == vnc_example(VNC_EXAMPLE_LOCAL)
    assert store.get(VNC, ALICE)["body"] == vnc_example(VNC_EXAMPLE_CLEANUP)


def test_rollback_discards_pending_changes_and_frees_the_lock() -> None:
    store = store_with_open_transaction(ALICE)
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    answer = store.rollback(ALICE)
    assert status_of(answer) == "closed"
    assert store.get(VNC, ALICE)["body"] == vnc_example(VNC_EXAMPLE_LOCAL)
    assert store.committed(VNC) == vnc_example(VNC_EXAMPLE_LOCAL)
    assert status_of(store.open_transaction(BOB)) == "open"


def test_rollback_with_nothing_open_is_harmless() -> None:
    store = ConfigStore()
    assert status_of(store.rollback(ALICE)) == "closed"


def test_rollback_by_another_login_does_not_touch_the_owners_transaction() -> None:
    store = store_with_open_transaction(ALICE)
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    assert status_of(store.rollback(BOB)) == "closed"
    assert status_of(store.transaction(ALICE)) == "open"
    assert store.get(VNC, ALICE)["body"] == vnc_example(VNC_EXAMPLE_CLEANUP)


def test_transaction_answer_has_the_8_0_shape() -> None:
    store = ConfigStore()
    closed = {
        "body": {"commit_message": None, "status": "closed"},
        "key": "transaction",
        "meta": {
            "changes": "/api/transaction/changes",
            "href": "/api/transaction",
            "parent": "/api",
        },
    }
    assert store.transaction(ALICE) == closed
    opened = store.open_transaction(ALICE)
    assert opened == dict(closed, body={"commit_message": None, "status": "open"})
    assert store.transaction(ALICE) == opened
    assert store.transaction(BOB) == closed


def test_transaction_answer_has_the_older_shape_for_compat_6_0() -> None:
    store = ConfigStore(compat="6.0")
    assert store.transaction(ALICE) == {
        "key": "transaction",
        "meta": {"href": "/api/transaction", "parent": "/api"},
        "transaction": {"status": "closed"},
    }
    assert store.open_transaction(ALICE)["transaction"] == {"status": "open"}
    assert "body" not in store.transaction(ALICE)
    assert store.commit(ALICE, {"status": "commit"})["transaction"] == {"status": "closed"}


def test_compat_must_be_a_release_number() -> None:
    with pytest.raises(ValueError):
        ConfigStore(compat="latest")


def test_opening_twice_from_the_same_login_keeps_the_transaction_and_its_changes() -> None:
    store = store_with_open_transaction(ALICE)
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    assert status_of(store.open_transaction(ALICE)) == "open"
    assert store.get(VNC, ALICE)["body"] == vnc_example(VNC_EXAMPLE_CLEANUP)


def test_a_second_login_cannot_open_a_transaction_while_the_first_holds_the_lock() -> None:
    store = store_with_open_transaction(ALICE)
    err = api_error(store.open_transaction, BOB)
    assert (err.status, err.code) == (409, "TransactionLocked")
    assert "locked" in err.message
    # The session id of the lock holder is a credential: it must not leak.
    assert ALICE not in err.message and ALICE not in json.dumps(err.details)
    assert status_of(store.transaction(ALICE)) == "open"
    store.commit(ALICE, {"status": "commit"})
    assert status_of(store.open_transaction(BOB)) == "open"


# ------------------------------------------------------------------ expiry


def test_idle_transaction_expires_discarding_its_changes_and_freeing_the_lock() -> None:
    clock = FakeClock()
    store = store_with_open_transaction(ALICE, now=clock, transaction_ttl=600)
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    clock.advance(600)
    assert status_of(store.open_transaction(BOB)) == "open"
    assert status_of(store.transaction(ALICE)) == "closed"
    assert store.get(VNC, ALICE)["body"] == vnc_example(VNC_EXAMPLE_LOCAL)
    err = api_error(store.put, VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    assert err.code == "NoTransaction"


def test_expired_changes_are_not_committed() -> None:
    clock = FakeClock()
    store = store_with_open_transaction(ALICE, now=clock, transaction_ttl=600)
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    clock.advance(601)
    err = api_error(store.commit, ALICE, {"status": "commit"})
    assert err.code == "NoTransaction"
    assert store.committed(VNC) == vnc_example(VNC_EXAMPLE_LOCAL)


def test_transaction_survives_just_under_the_ttl() -> None:
    clock = FakeClock()
    store = store_with_open_transaction(ALICE, now=clock, transaction_ttl=600)
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    clock.advance(599.9)
    assert status_of(store.transaction(ALICE)) == "open"
    assert store.get(VNC, ALICE)["body"] == vnc_example(VNC_EXAMPLE_CLEANUP)


def test_owner_activity_keeps_the_transaction_alive() -> None:
    clock = FakeClock()
    store = store_with_open_transaction(ALICE, now=clock, transaction_ttl=600)
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    for _ in range(5):
        clock.advance(500)
        store.get(VNC, ALICE)
    assert status_of(store.transaction(ALICE)) == "open"
    err = api_error(store.open_transaction, BOB)
    assert err.status == 409


def test_other_logins_activity_does_not_keep_the_transaction_alive() -> None:
    clock = FakeClock()
    store = store_with_open_transaction(ALICE, now=clock, transaction_ttl=600)
    clock.advance(500)
    store.get(VNC, BOB)
    store.transaction(BOB)
    clock.advance(100)
    assert status_of(store.open_transaction(BOB)) == "open"


def test_lock_error_tells_how_long_until_the_idle_lock_expires() -> None:
    clock = FakeClock()
    store = store_with_open_transaction(ALICE, now=clock, transaction_ttl=600)
    clock.advance(200)
    err = api_error(store.open_transaction, BOB)
    assert err.details == {"lock_expires_in_seconds": 400}


def test_ending_the_owners_login_rolls_back_and_frees_the_lock() -> None:
    store = store_with_open_transaction(ALICE)
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    store.end_login(ALICE)
    assert status_of(store.transaction(ALICE)) == "closed"
    assert store.get(VNC, ALICE)["body"] == vnc_example(VNC_EXAMPLE_LOCAL)
    assert status_of(store.open_transaction(BOB)) == "open"


def test_ending_another_login_leaves_the_transaction_alone() -> None:
    store = store_with_open_transaction(ALICE)
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    store.end_login(BOB)
    assert status_of(store.transaction(ALICE)) == "open"
    assert store.get(VNC, ALICE)["body"] == vnc_example(VNC_EXAMPLE_CLEANUP)


# ------------------------------------------------------------------ changes


def test_changes_lists_only_the_objects_whose_pending_value_differs() -> None:
    store = store_with_open_transaction(ALICE)
    assert store.changes(ALICE) == {
        "changes": [],
        "meta": {"href": "/api/transaction/changes", "parent": "/api/transaction"},
    }
    old_vnc = store.get(VNC, ALICE)["body"]
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    store.put(INDEXER, store.get(INDEXER, ALICE)["body"], ALICE)
    changes = store.changes(ALICE)["changes"]
    assert changes == [
        {
            "new_value": vnc_example(VNC_EXAMPLE_CLEANUP),
            "old_value": old_vnc,
            "path": VNC,
            "type": "replace",
        }
    ]


def test_changes_shows_values_in_get_form_and_drops_an_edit_that_was_reverted() -> None:
    store = store_with_open_transaction(ALICE)
    original = store.get(INDEXER, ALICE)["body"]
    store.put(INDEXER, _indexer(), ALICE)
    [change] = store.changes(ALICE)["changes"]
    assert change["path"] == INDEXER
    assert change["new_value"] == store.get(INDEXER, ALICE)["body"]
    assert change["old_value"] == original
    store.put(INDEXER, copy.deepcopy(original), ALICE)
    assert store.changes(ALICE)["changes"] == []


def test_changes_of_a_login_without_the_transaction_is_empty() -> None:
    store = store_with_open_transaction(ALICE)
    store.put(VNC, vnc_example(VNC_EXAMPLE_CLEANUP), ALICE)
    assert store.changes(BOB)["changes"] == []
    assert len(store.changes(ALICE)["changes"]) == 1


# ------------------------------------------------------------------ error codes


def test_every_error_code_raised_by_the_module_is_documented() -> None:
    source = inspect.getsource(configstore)
    raised = set(re.findall(r'ApiError\(\s*\d+,\s*"(\w+)"', source))
    assert raised == set(ERROR_CODES)
    # Every documented code names its HTTP status.
    assert all(re.match(r"\d{3}: ", meaning) for meaning in ERROR_CODES.values())
