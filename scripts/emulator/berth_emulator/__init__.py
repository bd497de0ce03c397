"""Berth's AWS emulator layer: a front for moto_server with fault injection and the AWS behaviour moto lacks.

Stdlib only (the unit tests also use botocore, which moto brings). Run it with
`python3 -m berth_emulator --port P --upstream http://127.0.0.1:MOTO_PORT [--realism SPEC]` from scripts/emulator
(scripts/emulator/start and run-foreground do). One job per module:

  server        the HTTP server: reads a request, applies faults, runs the patches, forwards to moto
  control       the /__berth/... control API (faults, stats, accounts, realism, health)
  faults        fault plans, rates and counters per access key; the injected answers
  sigv4         SigV4 signatures: checking the caller's, re-signing a rewritten request
  idempotency   the client-token cache for creates moto does not deduplicate
  request       one AWS request as the emulator sees it (Query form or JSON 1.1)
  responses     answers, and AWS errors in each protocol's shape
  accounts      which moto account an access key belongs to; secrets and internal keys
  upstream      moto itself: forwarding, and the emulator's own signed calls
  dependencies  what moto still holds that keeps a resource in use (DependencyViolation)
  iam_policies  a user's IAM policies, decided as moto decides them
  registry      the patch registry: hooks per service and action, before/around/after forwarding
  realism       the AWS realism behaviours' configuration (consistency, propagation, quotas, ...)
  xmledit       editing moto's XML answers
  patches/      one module per AWS behaviour; importing the package registers them all

docs/aws.md ("The emulator harness") describes the layout, the control API and how to add a patch.
"""
