"""Which moto account an access key belongs to, and the secrets the emulator may sign with.

moto keeps separate state per account (the `x-moto-account-id` header). Without that header
it finds a key's account by scanning, and initialising, every account's IAM state: seconds per
account. So the emulator remembers the accounts of the keys it saw created and the ones tests
register (`POST /__berth/accounts`), and sends the header itself.

Secrets are registered by tests only: with a key's secret the emulator can check that key's
signature and re-sign the requests it rewrites; an account's "internal" key signs the
emulator's own calls in that account when moto checks auth."""

import threading

DEFAULT_ACCOUNT = "123456789012"


class Accounts:
    def __init__(self):
        self.lock = threading.Lock()
        self.key_accounts = {}  # access key id -> account
        self.key_secrets = {}  # access key id -> secret
        self.internal_keys = {}  # account -> (access key id, secret) for the emulator's own calls

    def account_of(self, access_key):
        with self.lock:
            return self.key_accounts.get(access_key, DEFAULT_ACCOUNT)

    def secret_of(self, access_key):
        with self.lock:
            return self.key_secrets.get(access_key)

    def internal_key_of(self, account):
        with self.lock:
            return self.internal_keys.get(account)

    def remember(self, access_key, account):
        """A key created in `account` (seen in a CreateAccessKey answer)."""
        with self.lock:
            self.key_accounts[access_key] = account

    def register(self, access_key, account, secret=None, internal=False):
        """A key a test gives the emulator; `internal` (with a secret) makes it the key the
        emulator signs its own calls in that account with."""
        with self.lock:
            self.key_accounts[access_key] = account
            if secret:
                self.key_secrets[access_key] = secret
                if internal:
                    self.internal_keys[account] = (access_key, secret)


ACCOUNTS = Accounts()
