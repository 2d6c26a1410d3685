"""Composition: the supergraph model, its two inputs (a `join__` supergraph file, or the
subgraphs' SDLs composed here with readable errors) and the public API schema."""
