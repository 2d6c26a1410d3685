"""File uploads through the gateway (GraphQL multipart request spec), forwarded to one subgraph."""

from __future__ import annotations

from typing import Any

import gw_toys
import httpx
import orjson
from gw_support import Served, gateway_settings, start_gateway

CSV = "code,name\np7,Seventh\np8,第八\n".encode()


async def upload(
    http: httpx.AsyncClient,
    operations: dict[str, Any],
    mapping: dict[str, list[str]],
    files: dict[str, tuple[str, bytes, str]],
) -> httpx.Response:
    return await http.post(
        "/graphql",
        data={
            "operations": orjson.dumps(operations).decode(),
            "map": orjson.dumps(mapping).decode(),
        },
        files=files,
    )


def multipart_requests(served: Served) -> list[dict[str, str]]:
    return [
        headers
        for headers in served.recorder.headers
        if headers.get("content-type", "").startswith("multipart/form-data")
    ]


async def test_a_file_reaches_the_subgraph_that_owns_the_mutation(
    client: httpx.AsyncClient, subgraphs: dict[str, Served]
) -> None:
    response = await upload(
        client,
        {
            "query": "mutation Up($file: Upload!, $note: String) { uploadProducts(file: $file, "
            "note: $note) { name contentType size text } }",
            "variables": {"file": None, "note": "april"},
            "operationName": "Up",
        },
        {"0": ["variables.file"]},
        {"0": ("products.csv", CSV, "text/csv")},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "data": {
            "uploadProducts": {
                "name": "products.csv",
                "contentType": "text/csv",
                "size": len(CSV),
                "text": CSV.decode(),
            }
        }
    }
    assert gw_toys.MUTATION_LOG == ["upload:april"]
    sent = multipart_requests(subgraphs["products"])
    assert len(sent) == 1
    assert sent[0]["authorization"].startswith("Bearer ")


async def test_file_lists_and_files_inside_input_objects(client: httpx.AsyncClient) -> None:
    response = await upload(
        client,
        {
            "query": "mutation($files: [Upload!]!) { uploadMany(files: $files) { name size } }",
            "variables": {"files": [None, None]},
        },
        {"a": ["variables.files.0"], "b": ["variables.files.1"]},
        {"a": ("a.txt", b"one", "text/plain"), "b": ("b.txt", b"three", "text/plain")},
    )
    assert response.json() == {
        "data": {"uploadMany": [{"name": "a.txt", "size": 3}, {"name": "b.txt", "size": 5}]}
    }
    response = await upload(
        client,
        {
            "query": "mutation($input: ImportInput!) { importProducts(input: $input) { name } }",
            "variables": {"input": {"file": None, "dryRun": False}},
        },
        {"0": ["variables.input.file"]},
        {"0": ("x.xlsx", b"PK\x03\x04binary", "application/octet-stream")},
    )
    assert response.json() == {"data": {"importProducts": {"name": "x.xlsx dryRun=False"}}}


async def test_uploads_outside_one_subgraphs_mutation_are_refused(
    client: httpx.AsyncClient, subgraphs: dict[str, Served]
) -> None:
    file = {"0": ("a.txt", b"x", "text/plain")}
    cases = [
        # files for two subgraphs in one operation
        (
            "mutation($a: Upload!, $b: Upload!) { uploadProducts(file: $a) { size } "
            "attachPhoto(file: $b) }",
            {"a": None, "b": None},
            {"0": ["variables.a", "variables.b"]},
            "single subgraph",
        ),
        # a query
        (
            "query($a: String!) { product(upc: $a) { name } }",
            {"a": None},
            {"0": ["variables.a"]},
            "mutations",
        ),
        # a map path that is not in the variables
        (
            "mutation($file: Upload!) { uploadProducts(file: $file) { size } }",
            {"file": None},
            {"0": ["variables.other"]},
            "not in the variables",
        ),
    ]
    for query, variables, mapping, reason in cases:
        response = await upload(client, {"query": query, "variables": variables}, mapping, file)
        assert response.status_code in (200, 400), response.text
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert reason in error["message"]
    # a map naming a file that was not sent
    response = await upload(
        client,
        {"query": "mutation($f: Upload!) { attachPhoto(file: $f) }", "variables": {"f": None}},
        {"9": ["variables.f"]},
        file,
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert gw_toys.MUTATION_LOG == []
    assert all(not multipart_requests(s) for s in subgraphs.values())


async def test_upload_limits_and_authentication(subgraphs: dict[str, Served], token: str) -> None:
    gateway = await start_gateway(
        gateway_settings(subgraphs, max_upload_bytes=2000, max_upload_files=1)
    )
    operations = {
        "query": "mutation($files: [Upload!]!) { uploadMany(files: $files) { size } }",
        "variables": {"files": [None, None]},
    }
    try:
        async with httpx.AsyncClient(base_url=gateway.base) as http:
            # no token: refused before the body is read
            response = await upload(
                http, operations, {"0": ["variables.files.0"]}, {"0": ("a", b"x", "text/plain")}
            )
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            http.headers["authorization"] = f"Bearer {token}"
            response = await upload(
                http,
                operations,
                {"0": ["variables.files.0"]},
                {"0": ("a", b"x" * 5000, "text/plain")},
            )
            assert response.status_code == 413
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert error["extensions"]["limit"] == "uploadSize"
            response = await upload(
                http,
                operations,
                {"0": ["variables.files.0"], "1": ["variables.files.1"]},
                {"0": ("a", b"x", "text/plain"), "1": ("b", b"y", "text/plain")},
            )
            assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
            assert "Too many files" in response.json()["errors"][0]["message"]
    finally:
        await gateway.served.stop()
    assert all(not multipart_requests(s) for s in subgraphs.values())
