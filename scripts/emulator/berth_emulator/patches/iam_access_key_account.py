"""IAM CreateAccessKey: the new key's requests go to the account that created it.

In AWS an access key belongs to the account of the user it was created for, and a request
signed with it acts in that account. moto 5.2.1 gets the account right, but only by scanning,
and initialising, every account's IAM state when a request carries no `x-moto-account-id`
(seconds per account, with managed policies loaded). So the emulator notes the account of every
key created through it (accounts.py) and sends the header itself (server.py).

AWS source: CreateAccessKey ("Creates a new Amazon Web Services secret access key and
corresponding Amazon Web Services access key ID for the specified user."),
https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html
"""

import xml.etree.ElementTree as ET

from ..accounts import ACCOUNTS
from ..registry import after
from ..upstream import parse_xml


@after("iam", "CreateAccessKey")
def remember_account_of_new_key(call, response):
    if response.status == 200:
        try:
            key = parse_xml(response.body).findtext(".//AccessKeyId")
        except ET.ParseError:
            key = None
        if key:
            ACCOUNTS.remember(key, call.account)
    return response
