"""Bodies of the ``/forms`` and ``/definitions`` endpoints."""

from __future__ import annotations

from marshmallow import fields, validate

from ecrf.schemas import StrictSchema, page_schema


class FormSummary(StrictSchema):
    oid = fields.String()
    title = fields.String(metadata={"description": "title of the latest version"})
    latest_version = fields.Integer()
    versions = fields.List(fields.Integer())


FormPage = page_schema(FormSummary, "FormPage")


class FormVersionSummary(StrictSchema):
    oid = fields.String()
    version = fields.Integer()
    title = fields.String()
    content_hash = fields.String()
    loaded_at = fields.DateTime()


FormVersionPage = page_schema(FormVersionSummary, "FormVersionPage")


class FormVersionOut(FormVersionSummary):
    definition = fields.Dict(attribute="content", metadata={"description": "the definition as published"})
    source_path = fields.String(allow_none=True)


class PublishArgs(StrictSchema):
    documents = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=200),
                            metadata={"description": "definition documents (form or study), as in forms/*.yaml"})


class PublishOut(StrictSchema):
    published = fields.List(fields.String())
    unchanged = fields.List(fields.String())
    sites_created = fields.List(fields.String())
