"""Pairwise similarity of a class's code for one assignment (`course similarity`): see
`grader.similarity.detect` for the way through, docs/similarity.md for the method and why it
is our own code rather than a library's."""
