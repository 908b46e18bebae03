"""The quarterly uitvraag round: each voorzitter is asked to update the project's fiche before a
deadline, the late ones are reminded, and the project leader hears who did not deliver.

Modules, one per job (the settings are `[uitvraag]` in `sync.config`): `tabellen` (the round and
message records in the store), `kalender` (a quarter's deadline and what is due when), `stand`
(per project: voorzitter, requested, reminded, delivered, valid), `bericht` (the Dutch e-mails),
`verzending` (exactly-once, rate-limited sending over the quarterly e-mail's transports).
"""
