"""OpenTelemetry tracing, off unless NEWSGATE_TRACING says `otlp` or `console`.

A span per HTTP request (app/ops/middleware.py), continuing a caller's W3C `traceparent`,
with a child span per DataLoader batch (app/ops/record.py). The OTLP exporter reads the
standard OTEL_EXPORTER_OTLP_* variables; OTEL_SERVICE_NAME defaults to `newsgate`. The
OpenTelemetry packages are the optional `tracing` extra: `pip install '.[tracing]'`.

Off, `tracer` is None and nothing else runs: the request path tests one global.
"""

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer

tracer: "Tracer | None" = None


def start(kind: str, exporter: "SpanExporter | None" = None) -> None:
    """Trace from now on, to `exporter` or the one `kind` names (`otlp`, `console`)."""
    global tracer
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    attributes = {} if "OTEL_SERVICE_NAME" in os.environ else {"service.name": "newsgate"}
    provider = TracerProvider(resource=Resource.create(attributes))
    if exporter is not None:  # given by tests: spans are there as soon as they end
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif kind == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    tracer = provider.get_tracer("newsgate")


def stop() -> None:
    global tracer
    tracer = None


def parent_of(headers: dict[str, str]) -> Any:
    """The trace context a caller sent (W3C traceparent), for the request's span."""
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    return TraceContextTextMapPropagator().extract(headers)
