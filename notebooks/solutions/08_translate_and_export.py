"""Solutions to the exercises of notebook 08 · Translating with a trained model.

Each `exercise_N` restates its exercise, solves it with a small shipped model (the
character-level `blog_char`, the quickest to load and to trace) in a few seconds of
CPU, and asserts the answer. Run them all with
`python notebooks/solutions/08_translate_and_export.py`.
"""

import functools
import warnings

import seq2seq_keras as s2s
from seq2seq_keras.apps.interactive import translation_record


@functools.cache
def _translator():
    return s2s.load_translator("blog_char")


def exercise_1():
    """Beyond the training lengths.

    Find a shipped model's `max_source_length`, build an English sentence longer than
    it, and show that `translate` translates it with an `s2s.LongSentenceWarning`
    instead of failing, and that a string longer than
    `s2s.text.MAX_SENTENCE_CHARACTERS` raises `s2s.SentenceTooLongError`.
    """
    translator = _translator()
    limit = translator.config.max_source_length  # characters, for this model
    sentence = "I think that " + "the " * (limit // 4) + "cat is asleep"
    assert not translator.fits(sentence)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        output = translator.translate(sentence, strategy="greedy", split_sentences=False)
    assert isinstance(output, str)
    assert any(issubclass(w.category, s2s.LongSentenceWarning) for w in caught)

    huge = "a" * (s2s.text.MAX_SENTENCE_CHARACTERS + 1)
    try:
        translator.translate(huge, strategy="greedy")
    except s2s.SentenceTooLongError:
        pass
    else:
        raise AssertionError("expected SentenceTooLongError")
    return limit


def exercise_2():
    """One record, several sentences.

    Call `translation_record` on a line of two sentences. Check that `"sentences"` has
    one entry per sentence, each with its own n best, and that `"translation"` is their
    best translations joined.
    """
    translator = _translator()
    record = translation_record(translator, "Go. I am cold.", beam_width=2)
    assert "error" not in record
    parts = record["sentences"]
    assert [part["source"] for part in parts] == ["Go.", "I am cold."]
    for part in parts:
        assert len(part["n_best"]) == 2
        assert part["translation"] == part["n_best"][0]["translation"]
    assert record["translation"] == " ".join(part["translation"] for part in parts)
    return record["translation"]


def exercise_3():
    """Beam width and the n best.

    For one sentence and beam widths 1, 2 and 4: is the list of `translate_n_best`
    sorted by score, is its first entry `translate`'s answer at that width, and does
    the best score ever get worse as the beam widens? (Beam search is not guaranteed
    to.)

    Answer: sorted, and the first entry is `translate`'s, at every width. Here a wider
    beam never found a worse best hypothesis, but that is an observation, not a
    guarantee: a wider beam can drop the hypothesis a narrower one kept.
    """
    translator = _translator()
    sentence = "I am cold."
    best = {}
    for width in (1, 2, 4):
        hypotheses = translator.translate_n_best(sentence, beam_width=width)
        scores = [score for _, score in hypotheses]
        assert len(hypotheses) == width
        assert scores == sorted(scores, reverse=True)
        assert hypotheses[0][0] == translator.translate(sentence, beam_width=width)
        best[width] = scores[0]
    return best


if __name__ == "__main__":
    for exercise in (exercise_1, exercise_2, exercise_3):
        exercise()
        print(f"{exercise.__name__}: ok")
