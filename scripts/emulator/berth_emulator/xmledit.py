"""Editing moto's XML answers (EC2, IAM): parsed with namespaces stripped, so a patch finds
`vpcSet/item` by plain names, and written back under the answer's namespace."""

import xml.etree.ElementTree as ET


def parse(body):
    """(root element with plain tag names, the document's namespace or "")."""
    root = ET.fromstring(body)
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    for element in root.iter():
        if "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root, namespace


def serialize(root, namespace):
    """The document as bytes, its namespace restored as the default one."""
    if namespace:
        root.set("xmlns", namespace)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def element(tag, text=None, **children):
    """<tag>text</tag>, or <tag><k>v</k>...</tag> from keyword children (None values skipped)."""
    node = ET.Element(tag)
    if text is not None:
        node.text = text
    for name, value in children.items():
        if value is not None:
            ET.SubElement(node, name).text = str(value)
    return node
