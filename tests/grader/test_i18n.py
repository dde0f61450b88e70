"""Korean for every message the three test corpora produce, and the translator's rules."""
import re

import pytest

from grader import course
from grader.i18n import _catalog, localized, translate, translation
from tests.support import IDS, RULES, grade, write_mutant

LANGS = [lang for lang in RULES.languages if lang != "en"]  # every message has a text in each
BY_LANG = [(aid, lang) for aid in IDS for lang in LANGS]
ENGLISH_PROSE = re.compile(r"\b(the|of|should|must|expected|found|with)\b")


def submissions(aid: str, folder):
    """(folder, time scale) of the reference, the stub and every corpus submission of `aid`."""
    assignment = course.get(aid)
    corpus = assignment.corpus()
    yield assignment.solution_dir, 1.0
    yield assignment.stub_dir, 1.0
    for name, mutant in {**corpus.MISTAKES, **corpus.CORRECT}.items():
        yield write_mutant(aid, mutant[0] if isinstance(mutant, tuple) else mutant, folder / name), 1.0
    for name, (source, _, _) in getattr(corpus, "BROKEN", {}).items():
        (folder / name).mkdir()
        (folder / name / f"{assignment.module}.py").write_text(source)
        yield folder / name, 0.1


@pytest.fixture(scope="module", params=IDS)
def reports(request, tmp_path_factory, data_dir):
    folder = tmp_path_factory.mktemp(request.param)
    return [grade(request.param, path, data_dir, time_scale=scale)
            for path, scale in submissions(request.param, folder)]


@pytest.mark.parametrize("aid, lang", BY_LANG)
def test_every_check_title_has_a_translation(aid, lang):
    phrases, _ = _catalog(lang)
    assert [c.title for c in course.get(aid).rubric.checks if c.title not in phrases] == []


@pytest.mark.slow
@pytest.mark.skipif("ko" not in LANGS, reason="the course asks for no Korean texts")
def test_every_message_of_the_corpus_is_translated_with_the_same_points(reports):
    texts = {text for r in reports for c in r.checks for text in (c.message, c.title)}
    texts |= {note for r in reports for note in r.notes}
    assert sorted(t for t in texts if translation(t, "ko") is None) == []
    graders_words = {c.message for r in reports for c in r.checks if c.status in ("passed", "failed")}
    leftovers = {t: translation(t, "ko") for t in graders_words if ENGLISH_PROSE.search(translation(t, "ko"))}
    assert leftovers == {}, "English prose left in the Korean (faults may quote Python's own English)"
    for report in reports:
        korean = localized(report, "ko")
        assert (korean.score, korean.max_score) == (report.score, report.max_score)
        assert [(c.id, c.status, c.points) for c in korean.checks] == \
            [(c.id, c.status, c.points) for c in report.checks]


def test_placeholders_are_translated_in_turn_and_code_is_kept():
    message = ("probs of MultiHeadSelfAttention(16, 4, dropout=0.0)(x, padding mask of shape (3, 1, 1, 6)) in "
               "float64: expected 0.5 at index (0, 0, 0, 0), found 0.25 (3 of 4 entries off; largest error 0.5).")
    assert translate(message, "ko") == (
        "MultiHeadSelfAttention(16, 4, dropout=0.0)(x, 모양이 (3, 1, 1, 6)인 패딩 마스크) (float64)의 probs: "
        "인덱스 (0, 0, 0, 0)의 기댓값은 0.5인데, 실제 값은 0.25입니다. 전체 4개 중 3개가 틀렸고, 최대 오차는 0.5입니다.")


def test_a_message_is_translated_sentence_by_sentence_when_no_template_matches_it_whole():
    message = ("softmax(z): expected 1, found 2 (1 of 1 entries off; largest error 1). "
               "The scores look divided by d_k; the scale is 1/sqrt(d_k).")
    assert translate(message, "ko").endswith("점수를 d_k로 나눈 것 같습니다. 스케일은 1/sqrt(d_k)입니다.")


def test_unknown_text_falls_back_to_english_and_english_is_unchanged():
    assert translation("something the catalog has never seen", "ko") is None
    assert translate("something the catalog has never seen", "ko") == "something the catalog has never seen"
    assert translate("`mae` is not implemented yet (it raises NotImplementedError).", "en") == \
        "`mae` is not implemented yet (it raises NotImplementedError)."


@pytest.mark.parametrize("aid, lang", BY_LANG)
def test_every_known_mistake_is_named_in_each_language(aid, lang):
    for mistake in course.get(aid).rubric.mistakes.values():
        what, fix = translation(mistake.what, lang), translation(mistake.fix, lang)
        assert what and fix and what != mistake.what and fix != mistake.fix, mistake.id
        expected = {"ko": f"예상되는 실수: {what}. 고치는 법: {fix}."}.get(lang)
        assert translation(mistake.text, lang) == (expected or translation(mistake.text, lang))
