"""Assignment 3's mutation corpus, for `course selftest` and the tests: `MISTAKES`, one
submission per known mistake of the rubric's catalogue (named by the mistake's id; `breaks`
lists exactly the checks it must fail); `CORRECT` variants that must get full marks, each
an edit of the reference solution."""

from grader.selftest.mutants import Mutant

MHSA_FORWARD = frozenset({"mhsa.no_mask", "mhsa.padding_mask", "mhsa.causal_mask", "mhsa.gradients",
                          "mhsa.dropout_eval", "mhsa.dropout_train"})
MASKED = frozenset({"sdpa.mask", "mhsa.padding_mask", "mhsa.causal_mask", "mhsa.gradients"})

SCALE = "scores = (q / math.sqrt(q.size(-1))) @ k.transpose(-2, -1)"
FILL = 'scores = scores.masked_fill(~mask, float("-inf"))'
SOFTMAX = "probs = torch.softmax(scores, dim=-1)"
SPLIT = ("x = x.view(B, S, self.num_heads, self.attn_head_size)  # (B, S, nh, hd)\n"
         "        return x.permute(0, 2, 1, 3)  # (B, nh, S, hd)")
MERGE = "return x.permute(0, 2, 1, 3).reshape(B, S, -1)"
DROPOUT = "            probs = self.dropout(probs)\n            attended = probs @ v"
RETURN = "return self.out(self.merge_heads(attended)), probs"

NAMED_BY_FORMULA = "scale_by_d"  # its recogniser needs mistakes.py: a bundle names it from the recording

MISTAKES = {
    "scale_by_d": Mutant(
        ((SCALE, "scores = (q / q.size(-1)) @ k.transpose(-2, -1)"),),
        frozenset({"sdpa.no_mask"}) | MASKED | MHSA_FORWARD),
    "tp_attn_view_without_permute": Mutant(
        ((SPLIT, "return x.view(B, self.num_heads, S, self.attn_head_size)"),),
        frozenset({"tp_attn.split"}) | MHSA_FORWARD),
    "unscaled_scores": Mutant(
        ((SCALE, "scores = q @ k.transpose(-2, -1)"),),
        frozenset({"sdpa.no_mask"}) | MASKED | MHSA_FORWARD),
    "merge_heads_without_permute": Mutant(
        ((MERGE, "return x.reshape(B, S, -1)"),),
        frozenset({"merge_heads.inverse"}) | MHSA_FORWARD),
    "dropout_not_scaled": Mutant(
        (("probs = self.dropout(probs)", "probs = probs * (torch.rand_like(probs) >= self.dropout.p)"),),
        frozenset({"mhsa.dropout_train"})),
    "softmax_over_queries": Mutant(
        ((SOFTMAX, "probs = torch.softmax(scores, dim=-2)"),),
        frozenset({"sdpa.no_mask", "sdpa.masked_zero"}) | MASKED | MHSA_FORWARD),
    "mask_inverted": Mutant(
        ((FILL, 'scores = scores.masked_fill(mask, float("-inf"))'),),
        frozenset({"sdpa.masked_zero"}) | MASKED),
    "mask_after_softmax": Mutant(
        ((FILL, "scores = scores  # the mask is applied after the softmax"),
         (SOFTMAX, "probs = torch.softmax(scores, dim=-1)\n    probs = probs if mask is None else probs * mask")),
        MASKED | {"sdpa.masked_zero"}),  # the rows no longer sum to 1
    "no_output_projection": Mutant(
        ((RETURN, "return self.merge_heads(attended), probs"),),
        MHSA_FORWARD),
    "forward_returns_only_output": Mutant(
        ((RETURN, "return self.out(self.merge_heads(attended))"),),
        MHSA_FORWARD),
    "merge_heads_wrong_permutation": Mutant(
        ((MERGE, "return x.permute(0, 2, 3, 1).reshape(B, S, -1)"),),
        frozenset({"merge_heads.inverse"}) | MHSA_FORWARD),
    "dropout_in_eval_mode": Mutant(
        (("if self.training and self.dropout.p > 0:", "if self.dropout.p > 0:"),
         ("probs = self.dropout(probs)", "probs = nn.functional.dropout(probs, self.dropout.p)")),
        frozenset({"mhsa.dropout_eval"})),
    "probs_returned_before_dropout": Mutant(
        ((DROPOUT, "            attended = self.dropout(probs) @ v"),),
        frozenset({"mhsa.dropout_train"})),
    "dropout_on_the_output": Mutant(
        ((DROPOUT, "            pass"),
         (RETURN, "return self.dropout(self.out(self.merge_heads(attended))), probs")),
        frozenset({"mhsa.dropout_train"})),
    "dropout_on_probs_and_output": Mutant(  # as real code writes it: out = self.dropout(probs @ v)
        ((DROPOUT, "            probs = self.dropout(probs)\n            attended = self.dropout(probs @ v)"),),
        frozenset({"mhsa.dropout_train"})),
    "no_value_error": Mutant(
        (("            raise ValueError(", "            print("),),
        frozenset({"mhsa.value_error"})),
}

CORRECT = {
    "einsum": Mutant((
        (SCALE, 'scores = torch.einsum("...qd,...kd->...qk", q, k) / math.sqrt(k.shape[-1])'),
        ("return probs @ v, probs", 'return torch.einsum("...qk,...kd->...qd", probs, v), probs'),
        ("attended = probs @ v", 'attended = torch.einsum("bhqk,bhkd->bhqd", probs, v)')),
        frozenset()),
    "transpose_and_reshape": Mutant((
        (SPLIT, "return x.reshape(B, S, self.num_heads, -1).transpose(1, 2)"),
        (MERGE, "return x.transpose(1, 2).reshape(B, S, -1)")),
        frozenset()),
    "masked_fill_dtype_min": Mutant(
        ((FILL, "scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)"),), frozenset()),
    "where_minus_1e9_and_scaled_scores": Mutant((
        (SCALE, "scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))"),
        (FILL, "scores = torch.where(mask, scores, torch.full_like(scores, -1e9))")),
        frozenset()),
    "functional_dropout": Mutant(
        (("probs = self.dropout(probs)", "probs = nn.functional.dropout(probs, self.dropout.p, self.training)"),),
        frozenset()),
}
