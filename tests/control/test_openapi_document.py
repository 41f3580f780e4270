"""The OpenAPI document's exact shape, from small tables of operations: parameters, bodies, answers, ids."""

from __future__ import annotations

from emulator import __version__
from emulator.control.openapi import build_document
from emulator.control.openapi_table import Op

ERROR_REF = {"$ref": "#/components/schemas/Error"}
BAD_REQUEST = {"description": "A bad request", "content": {"application/json": {"schema": ERROR_REF}}}
JSON_OBJECT = {"application/json": {"schema": {"type": "object"}}}

ADD_PART = Op(
    "POST",
    "/_emulator/things/{thing_id}/parts/{part}",
    "Add a part",
    "things",
    ("name: string", "  size?  :  integer|string "),
    query=("dry: boolean", "count: integer|number"),
    returns="image/png",
    statuses=(201, 202),
)
LIST_THINGS = Op("GET", "/_emulator/things", "All things")
SET_MODE = Op("PUT", "/_emulator/mode", "Set the mode", "modes", ("mode?: string",), returns="text/x-json")


def test_an_operation_with_path_and_query_parameters_a_body_and_a_binary_answer() -> None:
    binary = {"image/png": {"schema": {"type": "string", "format": "binary"}}}
    assert build_document((ADD_PART,))["paths"] == {
        "/_emulator/things/{thing_id}/parts/{part}": {
            "post": {
                "summary": "Add a part",
                "tags": ["things"],
                "operationId": "post_emulator_things_thing_id_parts_part_",
                "responses": {
                    "201": {"description": "OK", "content": binary},
                    "202": {"description": "OK", "content": binary},
                    "4XX": BAD_REQUEST,
                },
                "parameters": [
                    {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "part", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "dry", "in": "query", "schema": {"type": "boolean"}},
                    {
                        "name": "count",
                        "in": "query",
                        "schema": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "name": {"type": "string"},
                                    "size": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
                                },
                                "required": ["name"],
                            }
                        }
                    },
                },
            }
        }
    }


def test_an_operation_without_parameters_or_body_has_neither_key() -> None:
    assert build_document((LIST_THINGS,))["paths"] == {
        "/_emulator/things": {
            "get": {
                "summary": "All things",
                "tags": ["control"],
                "operationId": "get_emulator_things",
                "responses": {"200": {"description": "OK", "content": JSON_OBJECT}, "4XX": BAD_REQUEST},
            }
        }
    }


def test_a_body_of_optional_fields_lists_no_required_and_any_json_type_answers_an_object() -> None:
    (operation,) = build_document((SET_MODE,))["paths"]["/_emulator/mode"].values()
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "type": "object",
        "properties": {"mode": {"type": "string"}},
    }
    assert operation["responses"]["200"]["content"] == {"text/x-json": {"schema": {"type": "object"}}}
    assert operation["operationId"] == "put_emulator_mode"


def test_methods_of_one_path_share_its_entry_and_the_document_names_its_schemas() -> None:
    delete = Op("DELETE", "/_emulator/things", "Forget every thing")
    document = build_document((LIST_THINGS, delete, SET_MODE))
    assert {path: sorted(ops) for path, ops in document["paths"].items()} == {
        "/_emulator/things": ["delete", "get"],
        "/_emulator/mode": ["put"],
    }
    assert document["openapi"] == "3.0.3"
    assert document["info"] == {
        "title": "mix-emulator control API",
        "version": __version__,
        "description": "The /_emulator routes: streams, URL mapping, tasks, journal, faults, clock.",
    }
    assert document["components"] == {
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "string"},
                            "field": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    }
                },
            }
        }
    }


def test_the_default_table_is_the_control_api() -> None:
    paths = build_document()["paths"]
    assert paths["/_emulator/clock/reset"]["post"]["tags"] == ["clock"]
    assert (
        paths["/_emulator/faults/{fault_id}"]["delete"]["operationId"] == "delete_emulator_faults_fault_id_"
    )


def test_a_field_is_named_before_its_first_colon_and_keeps_its_capitals() -> None:
    op = Op("POST", "/_emulator/Zego/SoundLevels", "Levels", body=("offsetX?: integer", "when: date:time"))
    (operation,) = build_document((op,))["paths"]["/_emulator/Zego/SoundLevels"].values()
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"] == {"offsetX": {"type": "integer"}, "when": {"type": "date:time"}}
    assert schema["required"] == ["when"]
    assert operation["operationId"] == "post_emulator_Zego_SoundLevels"
