"""The HTTP routes, one blueprint module per resource (jobs, processed_items, operations, audit,
session, docs; monitoring and dashboard outside the API prefix), and what they share: `params`
(reading and validating a request), `paging` (paging headers and cursors), `audited` and
`idempotent` (destructive and repeatable writes), `cleared` (the clears' answers), `ids` (row
ids in paths)."""
