"""An IAM user's policies, read from moto, and whether they allow an action, decided as moto
decides the real call (so that a dry run and the call agree)."""

import json
import re
import urllib.parse

from .upstream import query


def user_policies(call, user):
    """The policy documents that apply to an IAM user: inline and attached, its own and its groups'."""
    def document(text):
        return json.loads(urllib.parse.unquote(text or "{}"))

    def iam(action, params):
        return query(call, "iam", action, params)

    def attached(root):
        documents = []
        for arn in [e.text for e in root.iter("PolicyArn")]:
            version = iam("GetPolicy", {"PolicyArn": arn}).findtext(".//DefaultVersionId")
            documents.append(document(iam("GetPolicyVersion", {"PolicyArn": arn, "VersionId": version})
                                      .findtext(".//Document")))
        return documents

    documents = []
    for name in [e.text for e in iam("ListUserPolicies", {"UserName": user}).iter("member")]:
        documents.append(document(iam("GetUserPolicy", {"UserName": user, "PolicyName": name})
                                  .findtext(".//PolicyDocument")))
    documents += attached(iam("ListAttachedUserPolicies", {"UserName": user}))
    for group in [e.text for e in iam("ListGroupsForUser", {"UserName": user}).iter("GroupName")]:
        for name in [e.text for e in iam("ListGroupPolicies", {"GroupName": group}).iter("member")]:
            documents.append(document(iam("GetGroupPolicy", {"GroupName": group, "PolicyName": name})
                                      .findtext(".//PolicyDocument")))
        documents += attached(iam("ListAttachedGroupPolicies", {"GroupName": group}))
    return documents


def policies_allow(documents, action, resource="*", context=None):
    """IAM's rule (an explicit Deny wins, else an Allow is needed). By default decided as moto
    decides the real call: EC2 requests are checked against the resource "*", and a Condition
    counts as met (moto tests condition keys only against values it takes from the request, and
    it takes only sts:ExternalId). With `resource` (an ARN) and `context` (condition keys and
    their values in the request), decided as AWS decides: the statement's Resource must match
    the ARN, and a condition on a key in `context` must hold (String/Arn Equals and Like, and
    their Not forms); conditions on other keys still count as met."""
    def matches(patterns, value):
        patterns = patterns if isinstance(patterns, list) else [patterns]
        return any(re.fullmatch(re.escape(p).replace(r"\*", ".*").replace(r"\?", "."), value, re.IGNORECASE)
                   for p in patterns)

    def condition_holds(condition):
        for operator, keys in (condition or {}).items():
            for key, expected in keys.items():
                if key not in (context or {}):
                    continue
                expected = expected if isinstance(expected, list) else [expected]
                value = context[key]
                base = operator.replace("IfExists", "")
                negated = base.startswith(("StringNot", "ArnNot"))
                if base.endswith("Like"):
                    hit = matches(expected, value)
                elif base.endswith("Equals"):
                    hit = value in expected
                else:
                    continue  # an operator not modelled: met, as moto has it
                if hit == negated:
                    return False
        return True

    allowed = False
    for document in documents:
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            if "Action" in statement and not matches(statement["Action"], action):
                continue
            if "NotAction" in statement and matches(statement["NotAction"], action):
                continue
            if "Resource" in statement and not matches(statement["Resource"], resource):
                continue
            if not condition_holds(statement.get("Condition")):
                continue
            if statement.get("Effect") == "Deny":
                return False
            allowed = allowed or statement.get("Effect") == "Allow"
    return allowed
