"""POST /api/v1/otlp/v1/traces: OTLP/HTTP in protobuf and JSON, with the agent's key."""

import gzip
import json

import pytest
from google.protobuf import json_format
from google.rpc.status_pb2 import Status as RpcStatus
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from rest_framework.test import APIClient

from apps.audit.integrity import chains_verify
from apps.audit.models import AuditEvent
from apps.registry import services
from tests.audit.otlp_helpers import TRACE_ID, export, make_span, tool_span

pytestmark = pytest.mark.django_db
URL = "/api/v1/otlp/v1/traces"
PROTOBUF = "application/x-protobuf"


@pytest.fixture
def agent_key(admin, live_agent):
    return services.agent_key_create(agent=live_agent, actor=admin)[1]


@pytest.fixture
def send(agent_key):
    def post(body: bytes, content_type: str = PROTOBUF, key: str | None = agent_key, **headers):
        client = APIClient()
        if key is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client.post(URL, data=body, content_type=content_type, **headers)

    return post


def otlp_json(request) -> bytes:
    """The OTLP/JSON encoding: camelCase, and ids as hex rather than base64."""
    document = json_format.MessageToDict(request)
    for resource in document["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = json_format.base64.b64decode(span[key]).hex()
    return json.dumps(document).encode()


def a_run():
    root = make_span("invoke_agent support", span_id=bytes.fromhex("aaaaaaaaaaaaaaaa"))
    root.attributes.add(key="gen_ai.operation.name").value.string_value = "invoke_agent"
    tool = tool_span(span_id=bytes.fromhex("bbbbbbbbbbbbbbbb"), parent=root.span_id)
    return export(root, tool)


def test_protobuf_spans_are_stored_as_events_of_the_keys_agent(send, live_agent):
    response = send(a_run().SerializeToString())
    assert response.status_code == 200
    assert response["Content-Type"] == PROTOBUF
    assert ExportTraceServiceResponse.FromString(response.content) == ExportTraceServiceResponse()
    tool = AuditEvent.objects.get(span_id="bbbbbbbbbbbbbbbb")
    assert (tool.agent, tool.type, tool.name) == (live_agent, "tool_call", "search_orders")
    assert (tool.trace_id, tool.parent_span_id, tool.client_id) == (
        TRACE_ID.hex(),
        "aaaaaaaaaaaaaaaa",
        "bbbbbbbbbbbbbbbb",
    )
    assert tool.input == {"customer": "c-42"}
    assert AuditEvent.objects.get(span_id="aaaaaaaaaaaaaaaa").type == "action"
    assert chains_verify(agent=live_agent).ok


def test_json_spans_are_stored_and_answered_in_json(send):
    response = send(otlp_json(a_run()), content_type="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {}
    assert AuditEvent.objects.filter(trace_id=TRACE_ID.hex()).count() == 2


def test_a_resent_export_is_all_duplicates(send):
    body = a_run().SerializeToString()
    send(body)
    response = send(body)
    assert response.status_code == 200
    assert ExportTraceServiceResponse.FromString(response.content) == ExportTraceServiceResponse()
    assert AuditEvent.objects.filter(trace_id=TRACE_ID.hex()).count() == 2


def test_gzipped_bodies_are_accepted(send):
    response = send(gzip.compress(a_run().SerializeToString()), HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(trace_id=TRACE_ID.hex()).count() == 2


def test_secrets_in_span_attributes_are_redacted(send):
    span = tool_span(attributes={"gen_ai.tool.call.arguments": '{"api_key": "sk-live-abcdefghijklmnop1234"}'})
    send(export(span).SerializeToString())
    event = AuditEvent.objects.get(span_id=span.span_id.hex())
    assert "sk-live-abcdefghijklmnop1234" not in json.dumps(event.input)
    assert event.redactions


def test_bad_spans_are_rejected_the_otlp_way_and_the_good_ones_stored(send):
    good = tool_span()
    bad_id = make_span(span_id=b"\x01")
    too_many_tokens = make_span(attributes={"gen_ai.usage.output_tokens": 2**40})
    response = send(export(good, bad_id, too_many_tokens).SerializeToString())
    assert response.status_code == 200
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 2
    assert "span 01: span_id must be 8 bytes" in answer.partial_success.error_message
    assert "tokens_out" in answer.partial_success.error_message
    assert AuditEvent.objects.filter(span_id=good.span_id.hex()).exists()
    assert AuditEvent.objects.filter(trace_id=TRACE_ID.hex()).count() == 1


def test_a_span_id_reused_for_other_content_is_a_rejected_span(send):
    span_id = bytes.fromhex("cccccccccccccccc")
    send(export(make_span("first", span_id=span_id)).SerializeToString())
    response = send(otlp_json(export(make_span("second", span_id=span_id))), content_type="application/json")
    assert response.json()["partialSuccess"]["rejectedSpans"] == "1"
    assert "already used for different content" in response.json()["partialSuccess"]["errorMessage"]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"\xff\xff\xff", PROTOBUF, "not an OTLP ExportTraceServiceRequest in protobuf"),
        (b"{not json", "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "must be a JSON object"),
        (b'{"resourceSpans": 7}', "application/json", "not an OTLP ExportTraceServiceRequest in JSON"),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": "xyz"}]}]}]}',
            "application/json",
            "resourceSpans[0].scopeSpans[0].spans[0].spanId must be a hex string",
        ),
    ],
)
def test_malformed_bodies_get_a_400_with_a_readable_status(send, body, content_type, message):
    response = send(body, content_type=content_type)
    assert response.status_code == 400
    assert response["Content-Type"] == content_type
    if content_type == PROTOBUF:
        status = RpcStatus.FromString(response.content)
        assert (status.code, message in status.message) == (3, True)
    else:
        assert message in response.json()["message"]
    assert not AuditEvent.objects.filter(actor_type="agent").exists()


def test_an_unknown_content_type_is_415(send):
    response = send(b"hello", content_type="text/plain")
    assert response.status_code == 415
    assert "send application/x-protobuf or application/json" in response.json()["message"]


def test_a_bad_gzip_body_is_400(send):
    response = send(b"not gzip at all", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert "not valid gzip" in RpcStatus.FromString(response.content).message


def test_a_body_over_the_limit_is_413(send, settings):
    settings.AUDIT_MAX_BODY_BYTES = 100
    response = send(gzip.compress(b"\0" * 10_000), HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("key", "status", "message"),
    [
        (None, 401, "an agent key is required"),
        ("agk_nope_secret", 401, "invalid agent key"),
        ("garbage", 401, "malformed agent key"),
    ],
)
def test_requests_without_a_valid_key_are_refused_with_a_status_body(send, key, status, message):
    response = send(a_run().SerializeToString(), key=key)
    assert response.status_code == status
    assert message in RpcStatus.FromString(response.content).message
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not AuditEvent.objects.filter(type="tool_call").exists()


def test_a_revoked_key_is_refused(send, agent_key, admin, live_agent):
    key = live_agent.keys.get()
    services.agent_key_revoke(key=key, actor=admin, reason="leaked")
    response = send(a_run().SerializeToString(), content_type="application/json", key=agent_key)
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]


def test_a_paused_agent_may_still_send_traces(send, admin, live_agent):
    services.agent_pause(agent=live_agent, actor=admin, reason="investigating")
    assert send(a_run().SerializeToString()).status_code == 200


def test_the_trace_view_shows_the_run_parent_before_child(send, api_as):
    send(a_run().SerializeToString())
    trace = api_as("viewer").get(f"/api/v1/traces/{TRACE_ID.hex()}/").json()
    assert [(span["span_id"], span["depth"]) for span in trace["spans"]] == [
        ("aaaaaaaaaaaaaaaa", 0),
        ("bbbbbbbbbbbbbbbb", 1),
    ]


def test_the_otlp_specs_own_json_example_is_accepted(send):
    # From opentelemetry-proto's examples/trace.json: upper-case hex ids, int64 as strings,
    # the span kind as a number.
    example = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "my.service"}}]},
                "scopeSpans": [
                    {
                        "scope": {"name": "my.library", "version": "1.0.0"},
                        "spans": [
                            {
                                "traceId": "5B8EFFF798038103D269B633813FC60C",
                                "spanId": "EEE19B7EC3C1B174",
                                "parentSpanId": "EEE19B7EC3C1B173",
                                "name": "I'm a server span",
                                "startTimeUnixNano": "1544712660000000000",
                                "endTimeUnixNano": "1544712661000000000",
                                "kind": 2,
                                "attributes": [
                                    {"key": "my.span.attr", "value": {"stringValue": "some value"}}
                                ],
                            }
                        ],
                    }
                ],
            }
        ]
    }
    response = send(json.dumps(example).encode(), content_type="application/json")
    assert (response.status_code, response.json()) == (200, {})
    event = AuditEvent.objects.get(span_id="eee19b7ec3c1b174")
    assert (event.type, event.parent_span_id, event.duration_ms) == ("log", "eee19b7ec3c1b173", 1000.0)
    assert event.attributes["otel.span_kind"] == "server"
    assert event.occurred_at.isoformat() == "2018-12-13T14:51:00+00:00"
