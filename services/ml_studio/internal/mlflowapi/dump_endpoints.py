"""Dump the pinned MLflow server's endpoints and the request fields each reads.

Run with the pinned MLflow's python (.venv/mlflow/bin/python); the output is
endpoints.json beside this file, which mlflowapi embeds. TestEndpointsMatchPinnedMLflow
runs this script again and compares, so an MLflow bump shows every changed route.

For each (method, path) of mlflow.server.handlers.get_endpoints(): the handler's
name and, for protobuf endpoints, the request message's fields as MLflow's
_get_request_message reads them (proto name, JSON name, repeated, kind, nested message).
Then the routes of the FastAPI router the server mounts before Flask for the
AI gateway's invocations (/gateway/...), their {param} written <param> as
Flask writes it; they read no protobuf message.
"""

import json
import sys

from google.protobuf.descriptor import FieldDescriptor

from mlflow.protos import databricks_pb2
from mlflow.server import handlers
from mlflow.server.gateway_api import gateway_router

KINDS = {
    FieldDescriptor.TYPE_STRING: "string",
    FieldDescriptor.TYPE_BYTES: "bytes",
    FieldDescriptor.TYPE_BOOL: "bool",
    FieldDescriptor.TYPE_ENUM: "enum",
    FieldDescriptor.TYPE_MESSAGE: "message",
    FieldDescriptor.TYPE_DOUBLE: "number",
    FieldDescriptor.TYPE_FLOAT: "number",
}


def kind(field):
    return KINDS.get(field.type, "integer")


def repeated(field):
    try:
        return bool(field.is_repeated)
    except AttributeError:
        return field.label == FieldDescriptor.LABEL_REPEATED


def describe(message, messages):
    """Fields of message; nested messages are added to messages once, by full name."""
    if message.full_name in messages or message.full_name.startswith("google.protobuf."):
        return
    fields = []
    messages[message.full_name] = fields
    for f in message.fields:
        entry = {"name": f.name, "json": f.json_name, "kind": kind(f)}
        if repeated(f):
            entry["repeated"] = True
        if f.type == FieldDescriptor.TYPE_MESSAGE:
            nested = f.message_type
            if nested.GetOptions().map_entry:
                entry["kind"] = "map"
            else:
                entry["message"] = nested.full_name
                describe(nested, messages)
        fields.append(entry)


def main():
    by_path = {}
    messages = {}
    services = [
        handlers.MlflowService,
        handlers.ModelRegistryService,
        handlers.MlflowArtifactsService,
        handlers.WebhookService,
    ]
    for service in services:
        for method in service.DESCRIPTOR.methods:
            for ep in method.GetOptions().Extensions[databricks_pb2.rpc].endpoints:
                for path in handlers._get_paths(ep.path, version=ep.since.major):
                    by_path[(ep.method, path)] = method.input_type
                    describe(method.input_type, messages)
    out = []
    for path, handler, methods in handlers.get_endpoints():
        for m in methods:
            row = {"method": m, "path": path, "handler": handler.__name__}
            msg = by_path.get((m, path))
            if msg is not None:
                row["message"] = msg.full_name
            out.append(row)
    for route in gateway_router.routes:
        path = route.path.replace("{path:path}", "<path:path>")
        path = path.replace("{", "<").replace("}", ">")
        for m in sorted(route.methods):
            out.append({"method": m, "path": path, "handler": route.endpoint.__name__})
    out.sort(key=lambda r: (r["path"], r["method"]))
    import mlflow

    doc = {"mlflow": mlflow.__version__, "endpoints": out, "messages": messages}
    json.dump(doc, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
