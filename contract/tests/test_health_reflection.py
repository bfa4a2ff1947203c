"""grpc.health.v1 and server reflection (v1 and v1alpha), which need no API key, and the API
the deployment describes matching proto/."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from types import ModuleType

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2
from recouvre_client import Client
from recouvre_client._stubs import proto_files

#: The generated module of every proto/recouvre/v1/*.proto (a file added there is checked too).
LOCAL_FILES: list[ModuleType] = [
    importlib.import_module(f"recouvre.v1.{path.stem}_pb2") for path in proto_files()
]
#: Every service those files declare ("recouvre.v1.ClaimService", …, "recouvre.v1.RateService",
#: "recouvre.v1.DocumentService").
SERVICES: list[str] = sorted(
    service.full_name
    for module in LOCAL_FILES
    for service in module.DESCRIPTOR.services_by_name.values()
)


@pytest.mark.offline
def test_the_expected_services_are_those_of_proto_dir() -> None:
    """SERVICES is derived from the generated stubs; cross-check it against the sources, so a
    service added to proto/ is expected of the deployment without editing this file."""
    declared = sorted(
        f"recouvre.v1.{name}"
        for path in proto_files()
        for name in re.findall(r"^service\s+(\w+)", path.read_text(encoding="utf-8"), re.M)
    )
    assert SERVICES == declared, "a service of proto/ is missing from the generated stubs"


def test_health_is_serving(anonymous: Client) -> None:
    for service in ["", *SERVICES]:
        answer = anonymous.health.Check(health_pb2.HealthCheckRequest(service=service))
        assert answer.status == health_pb2.HealthCheckResponse.SERVING, service


def test_health_of_an_unknown_service_is_not_found(anonymous: Client) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        anonymous.health.Check(health_pb2.HealthCheckRequest(service="recouvre.v1.NoSuchService"))
    assert isinstance(raised.value, grpc.Call)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_health_watch_starts_with_the_current_status(anonymous: Client) -> None:
    stream = anonymous.health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=10)
    try:
        first = next(iter(stream))
        assert first.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        stream.cancel()


def reflect(
    client: Client, version: str, requests: list[reflection_pb2.ServerReflectionRequest]
) -> list[reflection_pb2.ServerReflectionResponse]:
    """Runs requests through grpc.reflection.<version>.ServerReflection (v1 and v1alpha have
    the same messages, so v1alpha's Python classes serve for both)."""
    call = client.channel.stream_stream(
        f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    answers: Iterator[reflection_pb2.ServerReflectionResponse] = call(iter(requests), timeout=30)
    return list(answers)


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
def test_reflection_lists_the_services(anonymous: Client, version: str) -> None:
    [answer] = reflect(anonymous, version, [reflection_pb2.ServerReflectionRequest(list_services="")])
    listed = {s.name for s in answer.list_services_response.service}
    assert set(SERVICES) <= listed
    assert "grpc.health.v1.Health" in listed
    assert f"grpc.reflection.{version}.ServerReflection" in listed


def served_files(client: Client) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    answers = reflect(
        client,
        "v1",
        [
            reflection_pb2.ServerReflectionRequest(file_containing_symbol=symbol)
            for symbol in [*SERVICES, "recouvre.v1.Money"]
        ],
    )
    files: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    for answer in answers:
        assert not answer.HasField("error_response"), answer.error_response
        for raw in answer.file_descriptor_response.file_descriptor_proto:
            proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
            files[proto.name] = proto
    return files


def test_reflection_serves_the_api_of_proto_dir(anonymous: Client) -> None:
    """Every service, method, message, field and enum value of proto/recouvre/v1 is served as
    declared here (the deployment may serve more: additions are compatible)."""
    served = served_files(anonymous)
    for module in LOCAL_FILES:
        local = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(local)
        assert local.name in served, f"{local.name} is not served"
        remote = served[local.name]
        assert remote.package == local.package
        remote_services = {s.name: s for s in remote.service}
        for service in local.service:
            assert service.name in remote_services, f"{service.name} is not served"
            methods = {m.name: m for m in remote_services[service.name].method}
            for method in service.method:
                assert method.name in methods, f"{service.name}.{method.name} is not served"
                served_method = methods[method.name]
                assert (served_method.input_type, served_method.output_type) == (
                    method.input_type,
                    method.output_type,
                ), f"{service.name}.{method.name}"
        remote_messages = {m.name: m for m in remote.message_type}
        for message in local.message_type:
            assert message.name in remote_messages, f"{message.name} is not served"
            fields = {f.number: f for f in remote_messages[message.name].field}
            for field in message.field:
                theirs = fields.get(field.number)
                assert theirs is not None, f"{message.name}.{field.name} is not served"
                assert (theirs.name, theirs.type, theirs.type_name, theirs.label) == (
                    field.name,
                    field.type,
                    field.type_name,
                    field.label,
                ), f"{message.name}.{field.name}"
        remote_enums = {e.name: {v.name: v.number for v in e.value} for e in remote.enum_type}
        for enum in local.enum_type:
            values = remote_enums.get(enum.name)
            assert values is not None, f"{enum.name} is not served"
            for value in enum.value:
                assert values.get(value.name) == value.number, f"{enum.name}.{value.name}"
