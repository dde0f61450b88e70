"""Assignment 3 submissions: realistic mistakes (each breaking exactly the named checks) and
differently written correct variants, as edits of the reference."""
from tests.support import Mutant

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

MISTAKES = {  # name -> (mutant, {check id: words its message must hold})
    "scale_by_d_not_sqrt_d": (Mutant(
        ((SCALE, "scores = (q / q.size(-1)) @ k.transpose(-2, -1)"),),
        frozenset({"sdpa.no_mask"}) | MASKED | MHSA_FORWARD),
        {"sdpa.no_mask": "divided by d_k", "mhsa.no_mask": "divided by d_k"}),
    "tp_attn_view_without_permute": (Mutant(
        ((SPLIT, "return x.view(B, self.num_heads, S, self.attn_head_size)"),),
        frozenset({"tp_attn.split"}) | MHSA_FORWARD),
        {"tp_attn.split": "without permute", "mhsa.no_mask": "without permute"}),
    "softmax_over_queries": (Mutant(
        ((SOFTMAX, "probs = torch.softmax(scores, dim=-2)"),),
        frozenset({"sdpa.no_mask", "sdpa.masked_zero"}) | MASKED | MHSA_FORWARD),
        {"sdpa.no_mask": "over the queries", "mhsa.no_mask": "over the queries"}),
    "mask_inverted": (Mutant(
        ((FILL, 'scores = scores.masked_fill(mask, float("-inf"))'),),
        frozenset({"sdpa.masked_zero"}) | MASKED),
        {"sdpa.mask": "inverted", "mhsa.padding_mask": "inverted"}),
    "mask_after_softmax": (Mutant(
        ((FILL, "scores = scores  # the mask is applied after the softmax"),
         (SOFTMAX, "probs = torch.softmax(scores, dim=-1)\n    probs = probs if mask is None else probs * mask")),
        MASKED),
        {}),
    "no_output_projection": (Mutant(
        ((RETURN, "return self.merge_heads(attended), probs"),),
        MHSA_FORWARD),
        {"mhsa.no_mask": "without the output layer"}),
    "forward_returns_only_output": (Mutant(
        ((RETURN, "return self.out(self.merge_heads(attended))"),),
        MHSA_FORWARD),
        {"mhsa.no_mask": "expected a tuple of 2 values"}),
    "merge_heads_wrong_permutation": (Mutant(
        ((MERGE, "return x.permute(0, 2, 3, 1).reshape(B, S, -1)"),),
        frozenset({"merge_heads.inverse"}) | MHSA_FORWARD),
        {"merge_heads.inverse": "permute(0, 2, 3, 1)", "mhsa.no_mask": "merge_heads looks like"}),
    "dropout_in_eval_mode": (Mutant(
        (("if self.training and self.dropout.p > 0:", "if self.dropout.p > 0:"),
         ("probs = self.dropout(probs)", "probs = nn.functional.dropout(probs, self.dropout.p)")),
        frozenset({"mhsa.dropout_eval"})),
        {"mhsa.dropout_eval": "eval mode"}),
    "probs_returned_before_dropout": (Mutant(
        ((DROPOUT, "            attended = self.dropout(probs) @ v"),),
        frozenset({"mhsa.dropout_train"})),
        {"mhsa.dropout_train": "after dropout"}),
    "dropout_on_the_output": (Mutant(
        ((DROPOUT, "            pass"),
         (RETURN, "return self.dropout(self.out(self.merge_heads(attended))), probs")),
        frozenset({"mhsa.dropout_train"})),
        {"mhsa.dropout_train": "found 0%"}),
    "no_value_error": (Mutant(
        (("            raise ValueError(", "            print("),),
        frozenset({"mhsa.value_error"})),
        {"mhsa.value_error": "found no exception"}),
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
