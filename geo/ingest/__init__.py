"""Read uploaded batches and context layers, validate every feature, normalise what is accepted."""

from __future__ import annotations

from geo.ingest.batch import read_batch, validate_file
from geo.ingest.layer import read_layer
from geo.ingest.result import IngestResult, Issue, Rejection

__all__ = ["IngestResult", "Issue", "Rejection", "read_batch", "read_layer", "validate_file"]
