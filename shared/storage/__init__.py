"""Storage plumbing: queues (base64 + claim-check), tables (ETag-guarded), blobs."""
