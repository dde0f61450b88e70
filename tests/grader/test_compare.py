"""Naming two mistakes at once (`grader.compare.both`) and the order recognisers try them in."""
import numpy as np

from grader.compare import both, parts, recognise
from grader.i18n import translation
from grader.rubric import Mistake

SUMMED = Mistake("summed", "the loss is summed", "divide by N")
SIGN = Mistake("sign", "the loss has the wrong sign", "negate it")


def test_both_names_the_two_mistakes_and_their_fixes():
    pair = both(SUMMED, SIGN)
    assert pair.id == "summed+sign" and parts(pair) == ("summed", "sign") and parts(SIGN) == ("sign",)
    assert pair.text == ("Likely mistake: the loss is summed; and at the same time the loss has the wrong "
                         "sign. Fix: divide by N; and also negate it.")


def test_a_single_mistake_is_preferred_to_a_combination_that_gives_the_same_result():
    pair = both(SUMMED, SIGN)
    assert recognise(np.array(-8.0), [(pair, -8.0), (SIGN, -8.0)], rtol=1e-6) is SIGN
    assert recognise(np.array(-8.0), [(pair, -8.0), (SUMMED, 8.0), (SIGN, -1.0)], rtol=1e-6) is pair
    assert recognise(np.array(3.0), [(pair, -8.0), (SIGN, -1.0)], rtol=1e-6) is None


def test_a_combination_of_assignment2_mistakes_translates_as_its_two_parts():
    from grader import course
    mistakes = course.get("assignment2").rubric.mistakes
    pair = mistakes["cross_entropy_summed+cross_entropy_wrong_sign"]
    first, second = (mistakes[p] for p in parts(pair))
    korean = translation(pair.text, "ko")
    assert korean == (f"예상되는 실수: {translation(first.what, 'ko')}. 그리고 동시에 {translation(second.what, 'ko')}. "
                      f"고치는 법: {translation(first.fix, 'ko')}. 그리고 {translation(second.fix, 'ko')}.")
