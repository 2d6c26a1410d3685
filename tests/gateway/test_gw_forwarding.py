"""Which client headers reach the subgraphs (pure logic of crm_gateway.edge.forwarding)."""

from __future__ import annotations

from crm_gateway.edge.forwarding import client_headers, forwarded_for, subgraph_headers


def test_the_clients_own_forwarded_for_is_not_trusted_by_default() -> None:
    assert forwarded_for("6.6.6.6", "10.0.0.7", 0) == "10.0.0.7"
    assert forwarded_for(None, "10.0.0.7", 0) == "10.0.0.7"
    assert forwarded_for("6.6.6.6", None, 0) is None


def test_trusted_proxies_keep_their_entries() -> None:
    # client -> ingress (appends the client) -> gateway (peer = ingress)
    assert forwarded_for("6.6.6.6, 203.0.113.9", "10.0.0.2", 1) == "203.0.113.9, 10.0.0.2"
    assert forwarded_for("203.0.113.9", "10.0.0.2", 2) == "203.0.113.9, 10.0.0.2"
    assert forwarded_for(" , ", "10.0.0.2", 1) == "10.0.0.2"


def test_client_headers_pass_accept_language_and_cut_long_values() -> None:
    headers = {
        "accept-language": "en-US,en;q=0.9",
        "cookie": "secret",
        "x-forwarded-for": "1.1.1.1",
    }
    assert client_headers(headers, "127.0.0.1") == {
        "accept-language": "en-US,en;q=0.9",
        "x-forwarded-for": "127.0.0.1",
    }
    long = client_headers({"accept-language": "x" * 5000}, None)
    assert long == {"accept-language": "x" * 1024}


def test_subgraph_headers_add_credentials_and_trace_context() -> None:
    headers = {"accept-language": "de", "tracestate": "k=v", "cookie": "secret"}
    assert subgraph_headers(
        headers, "10.0.0.1", 0, authorization="Bearer t", traceparent="00-ab-cd-01"
    ) == {
        "accept-language": "de",
        "x-forwarded-for": "10.0.0.1",
        "authorization": "Bearer t",
        "traceparent": "00-ab-cd-01",
        "tracestate": "k=v",
    }
    assert subgraph_headers({}, None, 0, authorization=None, traceparent="") == {}
