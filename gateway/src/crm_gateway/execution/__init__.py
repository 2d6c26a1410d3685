"""Execution: preparing an operation (parse, validate, limits, plan cache), running its plan
against the subgraphs and shaping the merged data into the client's response."""
