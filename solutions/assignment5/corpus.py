"""Assignment 5's mutation corpus, for `course selftest` and the tests: `MISTAKES`, one
submission per known mistake of the rubric's catalogue (named by the mistake's id; `breaks`
lists exactly the checks it must fail); `CORRECT` variants that must get full marks, each
an edit of the reference solution.

The learning check fails none of them: each mistaken model still learns (the accuracy is its
own forward pass's); the tests show it failing a model that cannot.
"""

from grader.selftest.mutants import Mutant

VIT = frozenset({"vit.logits"})
ENCODER = frozenset({"encoder.no_mask", "encoder.padding_mask", "encoder.causal_mask", "encoder.gradients"}) | VIT
PATCHES = frozenset({"patchify.values", "patch_embedding.conv"}) | VIT

TWO_I = "two_i = torch.arange(0, d_model, 2, dtype=torch.float64)"
SIN_COS = "pe[:, 0::2] = torch.sin(angles)\n    pe[:, 1::2] = torch.cos(angles)"
TRIL = "device=device).tril()"
SUBLAYERS = ("h = self.norm1(x + self.dropout(self.attention(x, mask)))\n"
             "        return self.norm2(h + self.dropout(self.linear2(self.dropout(torch.relu(self.linear1(h))))))")
PERMUTE = "patches.permute(0, 2, 4, 1, 3, 5)"
TOKENS = "x = torch.cat([self.cls.expand(len(images), -1, -1), patches], dim=1)"
ENCODING = "x = x + positional_encoding(x.size(1), x.size(2)).to(x)"
HEAD = "return self.head(x[:, 0])"
ATTENTION = """        q, k, v = (layer(x).view(B, S, self.num_heads, -1).transpose(1, 2)  # (B, nh, S, hd)
                   for layer in (self.query, self.key, self.value))
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (B, nh, S, S)"""
MERGE = "return self.out((probs @ v).transpose(1, 2).reshape(B, S, D))"

NAMED_BY_FORMULA = "exponent_i_not_2i"  # its recogniser needs mistakes.py: a bundle names it from the recording

MISTAKES = {
    "exponent_i_not_2i": Mutant(
        ((TWO_I, "two_i = torch.arange(d_model // 2, dtype=torch.float64)  # i, not 2i"),),
        frozenset({"positional_encoding.values"}) | VIT),
    "sin_cos_swapped": Mutant(
        ((SIN_COS, "pe[:, 0::2] = torch.cos(angles)\n    pe[:, 1::2] = torch.sin(angles)"),),
        frozenset({"positional_encoding.values"}) | VIT),
    "causal_mask_inverted": Mutant(
        ((TRIL, "device=device).triu(diagonal=1)"),), frozenset({"causal_mask.values"})),
    "causal_mask_strictly_lower": Mutant(
        ((TRIL, "device=device).tril(diagonal=-1)"),), frozenset({"causal_mask.values"})),
    "pre_norm": Mutant(
        ((SUBLAYERS, "h = x + self.dropout(self.attention(self.norm1(x), mask))\n        return h + "
                     "self.dropout(self.linear2(self.dropout(torch.relu(self.linear1(self.norm2(h))))))"),),
        ENCODER),
    "residual_after_norm": Mutant(
        ((SUBLAYERS, "h = x + self.norm1(self.dropout(self.attention(x, mask)))\n        return h + "
                     "self.norm2(self.dropout(self.linear2(self.dropout(torch.relu(self.linear1(h))))))"),),
        ENCODER),
    "no_relu_in_feed_forward": Mutant(
        (("torch.relu(self.linear1(h))", "self.linear1(h)"),), ENCODER),
    "encoder_mask_inverted": Mutant(
        (('masked_fill(~mask, float("-inf"))', 'masked_fill(mask, float("-inf"))'),),
        frozenset({"encoder.padding_mask", "encoder.causal_mask", "encoder.gradients"})),
    "patch_flattened_hwc": Mutant(
        ((PERMUTE, "patches.permute(0, 2, 4, 3, 5, 1)"),), PATCHES),
    "patches_column_by_column": Mutant(
        ((PERMUTE, "patches.permute(0, 4, 2, 1, 3, 5)"),), PATCHES),
    "cls_token_at_end": Mutant(
        ((TOKENS, "x = torch.cat([patches, self.cls.expand(len(images), -1, -1)], dim=1)"),
         (HEAD, "return self.head(x[:, -1])")), VIT),
    "pe_added_to_patches_only": Mutant(
        (("patches = self.patch_embed(images)", "patches = self.patch_embed(images)\n"
          "        patches = patches + positional_encoding(patches.size(1), patches.size(2)).to(patches)"),
         (ENCODING, "pass")), VIT),
    "head_reads_mean_of_tokens": Mutant(((HEAD, "return self.head(x.mean(dim=1))"),), VIT),
}

CORRECT = {
    "einsum_attention": Mutant((
        (ATTENTION, """        q, k, v = (layer(x).reshape(B, S, self.num_heads, D // self.num_heads) for layer in
                   (self.query, self.key, self.value))  # (B, S, nh, hd)
        scores = torch.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(D // self.num_heads)  # (B, nh, S, S)"""),
        (MERGE, 'return self.out(torch.einsum("bhqk,bkhd->bqhd", probs, v).reshape(B, S, D))')),
        frozenset()),
    "unfold_patches": Mutant((
        ("    patches = images.reshape(B, C, H // p, p, W // p, p)  # (B, C, H/p, p, W/p, p)\n"
         "    return " + PERMUTE + ".reshape(B, (H // p) * (W // p), C * p * p)  # (B, N, C*p*p)",
         "    return nn.functional.unfold(images, p, stride=p).transpose(1, 2)  # (B, C*p*p, N) -> (B, N, C*p*p)"),),
        frozenset()),
    "positional_buffer": Mutant((
        ("self.head = nn.Linear(d_model, num_classes)",
         "self.head = nn.Linear(d_model, num_classes)\n"
         "        self.register_buffer(\"pe\", positional_encoding((image_size // patch_size) ** 2 + 1, d_model))"),
        (ENCODING, "x = x + self.pe")),
        frozenset()),
}
