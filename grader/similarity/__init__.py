"""Pairwise similarity of a class's code for one assignment (`course similarity`): see
`grader.similarity.detect` for the way through, docs/similarity.md for the method and why it
is our own code rather than a library's.

The defaults live here, where the command line reads them without importing the rest.
"""

# The Jaccard score from which a pair is reported. Disguised copies of the corpora's solutions
# score 0.97 to 1; pairs of its independent correct solutions (edits of the reference, so
# they share more text than independent students' code would) at most 0.74 for assignments 1
# and 3 (tests/grader/test_similarity.py). Lower it to see partial copies too.
THRESHOLD = 0.8
TOP = 100  # pairs the reports hold at most
