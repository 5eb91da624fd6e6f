"""Small helpers to build ODM elements with lxml (default namespace, translated text)."""

from __future__ import annotations

from lxml import etree

from ecrf.exports.naming import LANG, NS, XML_LANG, tag

NSMAP = {None: NS}


def element(name: str, attrs: dict | None = None, text: str | None = None) -> etree._Element:
    node = etree.Element(tag(name), _clean(attrs), nsmap=NSMAP)
    if text is not None:
        node.text = text
    return node


def sub(parent: etree._Element, name: str, attrs: dict | None = None, text: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, tag(name), _clean(attrs))
    if text is not None:
        node.text = text
    return node


def translated(parent: etree._Element, name: str, text: str) -> etree._Element:
    """``<Name><TranslatedText xml:lang="en">text</TranslatedText></Name>``."""
    holder = sub(parent, name)
    sub(holder, "TranslatedText", {XML_LANG: LANG}, text)
    return holder


def _clean(attrs: dict | None) -> dict:
    return {k: str(v) for k, v in (attrs or {}).items() if v is not None}
