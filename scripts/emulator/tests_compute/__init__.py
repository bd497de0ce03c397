"""The compute emulation's tests: real moto, a real emulator process, real Dask
(scripts/emulator/test-compute runs them with the Dask environment's Python)."""
