#!/usr/bin/python3
"""python3-zeep (Debian) against the gateway, one process for a list of jobs.

    /usr/bin/python3 zeep_client.py jobs.json      (or the JSON on stdin)

Every document zeep reads (the WSDL and each wsdl:import / xsd:import / xsd:include it follows)
goes through a transport that records its URL and refuses any URL outside the gateway the job's
WSDL came from: "zeep fetched the whole tree through the gateway" is then a fact, not a hope, and
a tree that still points elsewhere fails with `ForeignImport: <url>` whether or not this machine
could reach that host.

Jobs (a JSON array):
  {"id": "...", "kind": "load", "wsdl": "<gw>/gateway/services/SID?wsdl"}
      import the WSDL; report its operations.
  {"id": "...", "kind": "call", "wsdl": "...",
   "calls": [{"operation": "Op", "request": "/path/request.xml", "originFromFirst": false}]}
      import the WSDL, then call each operation with the smev:Message and smev:MessageData of the
      fixture envelope, parsed into zeep objects with the WSDL's own types (the way a zeep user
      turns an XML sample into arguments). AppData is an xs:any: an element the WSDL's schemas
      declare becomes an xsd.AnyObject of that element, any other stays an lxml element.
      "originFromFirst": set Message.OriginRequestIdRef to the RequestIdRef of the first answer
      (a PING on the chain the ACCEPT opened).

Prints one JSON array of results {id, ok, error?, errorType?, refused?, fetched, ...}. A job's
failure is reported in its result with the exception and traceback; the script exits 1 only when
it cannot run at all (bad input, zeep missing).
"""
import datetime
import json
import sys
import traceback
from urllib.parse import urlsplit

try:
    import zeep
    from lxml import etree
    from zeep import xsd
    from zeep.plugins import HistoryPlugin
    from zeep.transports import Transport
    from zeep.xsd.valueobjects import CompoundValue
except ImportError as e:  # pragma: no cover - reported to the test
    sys.stderr.write("zeep_client: cannot import zeep/lxml (Debian package python3-zeep, run with /usr/bin/python3): %s\n" % e)
    sys.exit(1)

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


class ForeignImport(Exception):
    """zeep was about to read a document from outside the gateway."""


class GatewayOnlyTransport(Transport):
    def __init__(self, origin, **kw):
        super().__init__(timeout=30, operation_timeout=30, **kw)
        self.origin = origin
        self.fetched = []
        self.refused = []

    def load(self, url):
        if not url.startswith(self.origin):
            self.refused.append(url)
            raise ForeignImport(url)
        self.fetched.append(url)
        return super().load(url)


def origin_of(url):
    u = urlsplit(url)
    return "%s://%s/" % (u.scheme, u.netloc)


def operations_of(client):
    ops = []
    for service in client.wsdl.services.values():
        for port in service.ports.values():
            for name in port.binding._operations:
                ops.append("%s.%s.%s" % (service.name, port.name, name))
    return sorted(ops)


def elements(node):
    return [c for c in node if isinstance(c.tag, str)]


def fixture_arguments(client, path):
    """The operation's keyword arguments from a fixture envelope, as zeep objects."""
    root = etree.parse(path).getroot()
    body = root.find("{%s}Body" % SOAP_ENV)
    if body is None or not elements(body):
        raise ValueError("%s has no operation element in soap:Body" % path)
    operation_el = elements(body)[0]
    schema = client.wsdl.types
    kwargs = {}
    for part in elements(operation_el):
        element = schema.get_element(part.tag)
        value = element.parse(part, schema)
        if etree.QName(part).localname == "MessageData":
            app_data = part.find("{%s}AppData" % etree.QName(part).namespace)
            if app_data is not None:
                value.AppData._value_1 = [any_item(schema, item) for item in elements(app_data)]
        kwargs[etree.QName(part).localname] = value
    return kwargs


def any_item(schema, el):
    try:
        element = schema.get_element(el.tag)
    except Exception:  # not declared by the WSDL's schemas: zeep sends the lxml element as it is
        return el
    return xsd.AnyObject(element, element.parse(el, schema))


def plain(value):
    """zeep's answer as JSON, keeping the Python type of each leaf visible where it matters."""
    if isinstance(value, CompoundValue):
        return {k: plain(value[k]) for k in value}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return {"bytes": len(value), "head": value[:4].hex()}
    if isinstance(value, (datetime.datetime, datetime.date)):
        return {"datetime": value.isoformat()}
    if isinstance(value, etree._Element):
        return {"xml": etree.tostring(value, encoding="unicode")}
    if hasattr(value, "value") and hasattr(value, "xsd_elm"):  # xsd.AnyObject
        return plain(value.value)
    return value


def describe_answer(answer):
    message = answer["Message"]
    data = answer["MessageData"]
    out = {
        "answerType": type(answer).__name__,
        "messageType": type(message).__name__,
        "dateType": type(message.Date).__name__,
        "status": message.Status,
        "requestIdRef": message.RequestIdRef,
        "originRequestIdRef": message.OriginRequestIdRef,
        "appData": [],
        "appDocument": None,
    }
    if data is not None and data.AppData is not None:
        for item in data.AppData._value_1 or []:
            out["appData"].append({"type": type(item).__name__, "value": plain(item)})
    if data is not None and getattr(data, "AppDocument", None) is not None:
        doc = data.AppDocument
        binary = doc.BinaryData
        out["appDocument"] = {
            "type": type(doc).__name__,
            "requestCode": doc.RequestCode,
            "binaryType": type(binary).__name__,
            "binaryLength": len(binary) if isinstance(binary, bytes) else None,
            "binaryHead": binary[:4].hex() if isinstance(binary, bytes) else None,
        }
    return out


def last_exchange(history):
    out = {}
    try:
        out["sent"] = etree.tostring(history.last_sent["envelope"], encoding="unicode")[:4000]
    except Exception:
        pass
    try:
        out["received"] = etree.tostring(history.last_received["envelope"], encoding="unicode")[:4000]
    except Exception:
        pass
    return out


def run_job(job):
    res = {"id": job["id"], "ok": False, "fetched": [], "refused": []}
    transport = None
    history = None
    try:
        transport = GatewayOnlyTransport(origin_of(job["wsdl"]))
        history = HistoryPlugin()
        client = zeep.Client(job["wsdl"], transport=transport, plugins=[history])
        res["operations"] = operations_of(client)
        res["addresses"] = sorted({p.binding_options.get("address") for s in client.wsdl.services.values() for p in s.ports.values()})
        if job["kind"] == "call":
            res["calls"] = []
            origin = None
            for i, call in enumerate(job["calls"]):
                entry = {"operation": call["operation"], "ok": False}
                res["calls"].append(entry)
                kwargs = fixture_arguments(client, call["request"])
                if call.get("originFromFirst"):
                    if origin is None:
                        raise ValueError("no RequestIdRef in the first answer to quote as OriginRequestIdRef")
                    kwargs["Message"].OriginRequestIdRef = origin
                try:
                    answer = client.service[call["operation"]](**kwargs)
                except Exception as e:
                    entry["error"] = "%s: %s" % (type(e).__name__, e)
                    entry.update(last_exchange(history))
                    raise
                entry.update(describe_answer(answer))
                entry["ok"] = True
                if i == 0:
                    origin = entry["requestIdRef"]
        res["ok"] = True
    except Exception as e:
        res["error"] = "%s: %s" % (type(e).__name__, e)
        res["errorType"] = type(e).__name__
        res["trace"] = traceback.format_exc()[-3000:]
    finally:
        if transport is not None:
            res["fetched"] = transport.fetched
            res["refused"] = transport.refused
    return res


def main():
    raw = open(sys.argv[1], encoding="utf-8").read() if len(sys.argv) > 1 else sys.stdin.read()
    try:
        jobs = json.loads(raw)
        assert isinstance(jobs, list)
    except Exception as e:
        sys.stderr.write("zeep_client: the jobs are not a JSON array: %s\n" % e)
        sys.exit(1)
    results = [run_job(job) for job in jobs]
    json.dump(results, sys.stdout, ensure_ascii=False, indent=1, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
