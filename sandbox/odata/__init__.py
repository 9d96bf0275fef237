"""An ERP-neutral OData v4 engine for the emulators: entity schema read from a CSDL `$metadata`, an
in-memory record store with ETags and a change feed, and the query options ($filter, $select,
$orderby, $expand, $top/$skip, $count, server-driven paging).

What differs between ERPs (error codes and messages, filter limits, ETag shape, entity sets, key
shapes, write rules) is not here: each emulator passes its `Dialect` and keeps its own rules
(Business Central's in `sandbox/bc/`)."""
