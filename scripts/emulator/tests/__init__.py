"""Unit tests of the emulator layer (stdlib unittest; botocore, which moto brings, as a second
signer). Run them with scripts/emulator/test; scripts/test runs them before swift test."""
