#!/usr/bin/env python3
"""A generic gRPC client in Python that knows nothing of the paper trade executor but its address.

It carries only the standard grpc/reflection/v1/reflection.proto (compiled with protoc at start, as
grpcurl carries it compiled in), learns every other type from server reflection, loads the files into
a protobuf DescriptorPool (the C++ implementation's validation refuses malformed descriptors), describes
every method, and calls ExecuteTrade, GetPortfolio and StreamTrades with messages built from those
descriptors alone. It prints one JSON object on stdout for test/reflection-python.test.ts to check.

Uses Debian's python3-grpcio, python3-protobuf and protobuf-compiler; no generated code, no pip.

    /usr/bin/python3 test/python/reflection_client.py --target 127.0.0.1:50051 --proto-dir proto
"""
import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import uuid

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

REFLECTION = "grpc.reflection.v1.ServerReflection"
EXECUTOR = "paper_trader.v1.PaperTradeExecutor"


def message_class(pool, name):
    desc = pool.FindMessageTypeByName(name)
    get = getattr(message_factory, "GetMessageClass", None)  # protobuf >= 4.21.9; older: a factory
    return get(desc) if get else message_factory.MessageFactory(pool).GetPrototype(desc)


def reflection_types(proto_dir):
    """The reflection protocol's own messages, from the standard .proto compiled by protoc."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "reflection.binpb")
        subprocess.run(
            ["protoc", f"--proto_path={proto_dir}", "--include_imports", f"--descriptor_set_out={out}", "grpc/reflection/v1/reflection.proto"],
            check=True,
        )
        with open(out, "rb") as f:
            fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    return message_class(pool, "grpc.reflection.v1.ServerReflectionRequest"), message_class(pool, "grpc.reflection.v1.ServerReflectionResponse")


class Reflector:
    def __init__(self, channel, proto_dir):
        self.Request, self.Response = reflection_types(proto_dir)
        self.info = channel.stream_stream(
            f"/{REFLECTION}/ServerReflectionInfo",
            request_serializer=self.Request.SerializeToString,
            response_deserializer=self.Response.FromString,
        )

    def ask(self, **fields):
        response = next(iter(self.info(iter([self.Request(**fields)]), timeout=10)))
        if response.HasField("error_response"):
            raise LookupError(f"{response.error_response.error_code}: {response.error_response.error_message}")
        return response

    def services(self):
        return [s.name for s in self.ask(list_services="*").list_services_response.service]

    def files(self, **fields):
        raw = self.ask(**fields).file_descriptor_response.file_descriptor_proto
        return [descriptor_pb2.FileDescriptorProto.FromString(b) for b in raw]


def build_pool(reflector, services):
    """Every file the services need, fetched by symbol (and by name for any import not yet sent)."""
    files = {}
    for s in services:
        for fd in reflector.files(file_containing_symbol=s):
            files.setdefault(fd.name, fd)
    by_name = {fd.name: fd for fd in reflector.files(file_by_filename="paper_trader/v1/executor.proto")}
    for name, fd in by_name.items():
        files.setdefault(name, fd)
    while missing := sorted({d for fd in files.values() for d in fd.dependency} - files.keys()):
        for name in missing:
            for fd in reflector.files(file_by_filename=name):
                files.setdefault(fd.name, fd)
    pool = descriptor_pool.DescriptorPool()
    added = set()

    def add(fd):  # imports first, as a DescriptorPool requires
        if fd.name in added:
            return
        for dep in fd.dependency:
            add(files[dep])
        pool.Add(fd)
        added.add(fd.name)

    for fd in files.values():
        add(fd)
    return pool, sorted(by_name)


def describe(pool, services):
    """What `grpcurl describe` prints, as data: each method with its kind and its messages' fields."""
    out = {}
    for s in services:
        svc = pool.FindServiceByName(s)
        for m in svc.methods:
            proto = descriptor_pb2.MethodDescriptorProto()
            m.CopyToProto(proto)
            kind = ("stream " if proto.client_streaming else "") + "->" + (" stream" if proto.server_streaming else "")
            out[f"{s}/{m.name}"] = {
                "kind": kind,
                "input": m.input_type.full_name,
                "output": m.output_type.full_name,
                "input_fields": [f.name for f in m.input_type.fields],
            }
    return out


class Caller:
    def __init__(self, channel, pool):
        self.channel = channel
        self.pool = pool

    def _method(self, service, name):
        m = self.pool.FindServiceByName(service).methods_by_name[name]
        return message_class(self.pool, m.input_type.full_name), message_class(self.pool, m.output_type.full_name)

    def unary(self, service, name, request):
        Req, Res = self._method(service, name)
        call = self.channel.unary_unary(f"/{service}/{name}", request_serializer=Req.SerializeToString, response_deserializer=Res.FromString)
        return json_format.MessageToDict(call(json_format.ParseDict(request, Req()), timeout=10))

    def server_stream(self, service, name, request):
        Req, Res = self._method(service, name)
        call = self.channel.unary_stream(f"/{service}/{name}", request_serializer=Req.SerializeToString, response_deserializer=Res.FromString)
        return call(json_format.ParseDict(request, Req()), timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="host:port of the server")
    parser.add_argument("--proto-dir", required=True, help="folder holding grpc/reflection/v1/reflection.proto")
    args = parser.parse_args()

    with grpc.insecure_channel(args.target) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        reflector = Reflector(channel, args.proto_dir)
        services = reflector.services()
        pool, executor_file_set = build_pool(reflector, services)
        trade_request = pool.FindMessageTypeByName("paper_trader.v1.TradeRequest")
        tolerance = trade_request.fields_by_name["slippage_tolerance_bps"]
        caller = Caller(channel, pool)
        portfolio = "generic-python"

        result = caller.unary(EXECUTOR, "ExecuteTrade", {
            "requestId": str(uuid.uuid4()),
            "action": "TRADE_ACTION_BUY",
            "baseToken": "SOL",
            "quoteToken": "USDC",
            "amount": "1",
            "isBaseInput": True,
            "slippageToleranceBps": 500,
            "portfolioId": portfolio,
            "metadata": {"strategy": "python", "tags": ["a", 1]},
        })
        portfolio_after = caller.unary(EXECUTOR, "GetPortfolio", {"portfolioId": portfolio})

        # StreamTrades: read in a thread; send trades until one comes through (the subscription
        # reaches the server asynchronously, and nothing tells a client when).
        stream = caller.server_stream(EXECUTOR, "StreamTrades", {"portfolioId": portfolio})
        got = queue.Queue()
        threading.Thread(target=lambda: [got.put(t) for t in stream], daemon=True).start()
        sent, streamed = [], None
        for _ in range(20):
            rid = str(uuid.uuid4())
            sent.append(rid)
            caller.unary(EXECUTOR, "ExecuteTrade", {
                "requestId": rid, "action": "TRADE_ACTION_SELL", "baseToken": "SOL", "quoteToken": "USDC",
                "amount": "0.1", "isBaseInput": True, "portfolioId": portfolio,
            })
            try:
                streamed = json_format.MessageToDict(got.get(timeout=0.3))
                break
            except queue.Empty:
                continue
        stream.cancel()

        json.dump({
            "services": services,
            "executor_file_set": executor_file_set,
            "methods": describe(pool, [s for s in services if s.startswith("paper_trader.")]),
            "tolerance_field": {
                "name": tolerance.name,
                "json_name": tolerance.json_name,
                "in_real_oneof": tolerance.containing_oneof is not None and not tolerance.containing_oneof.name.startswith("_"),
                "has_presence": tolerance.has_presence,
            },
            "execute": {
                "status": result["trade"]["status"],
                "metadata": result["trade"].get("metadata"),
                "trade_count": result["portfolioState"]["tradeCount"],
            },
            "portfolio": {"portfolio_id": portfolio_after["portfolioId"], "trade_count": portfolio_after["tradeCount"]},
            "streamed": {"in_sent": streamed is not None and streamed["requestId"] in sent, "action": streamed and streamed["action"]},
        }, sys.stdout)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
