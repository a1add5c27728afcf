"""The language layer: one spaCy pipeline, entity canonicalisation, quote extraction.

Everything here is a pure function over an `Article` and its spaCy `Doc`; the model is
loaded once per process by `pipeline.load`.
"""
