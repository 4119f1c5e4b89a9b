"""Paragraphs into sentences, and text as people type it, made like the corpus."""

import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

import seq2seq_keras as s2s
from seq2seq_keras.data import load_splits
from seq2seq_keras.text.placeholders import corpus_words, tf_mask_names, tf_restore_names
from seq2seq_keras.text.sentences import (
    end_sentence,
    join_sentences,
    known_words,
    split_sentences,
    tidy_typing,
)


@pytest.mark.parametrize("text, sentences", [
    ("Tom is tired. He wants to sleep. Let him rest.",
     ["Tom is tired.", "He wants to sleep.", "Let him rest."]),
    ("Mr. Smith arrived. Hello!", ["Mr. Smith arrived.", "Hello!"]),
    ("So am I. He is too.", ["So am I.", "He is too."]),
    ("J. K. Rowling wrote it. I read it.", ["J. K. Rowling wrote it.", "I read it."]),
    ("It's 5 p.m. Let's go.", ["It's 5 p.m. Let's go."]),  # inner dots: kept whole
    ("Really?! Yes... I think so.", ["Really?!", "Yes...", "I think so."]),
    ('"Go." He left.', ['"Go."', "He left."]),
    ("Who are you? ¿Qué? «Non.» Fine.", ["Who are you?", "¿Qué?", "«Non.»", "Fine."]),
    ("Hi. Éric is here.", ["Hi.", "Éric is here."]),
    ("i'm here. i'm tired", ["i'm here. i'm tired"]),  # no capital: no sentence end
    ("No. I don't.", ["No.", "I don't."]),
    ("", []), ("   ", []),
])
def test_split_sentences_follows_its_documented_rule(text, sentences):
    assert split_sentences(text) == sentences


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("abAB .!?…'\"«»()Mr"), max_size=60))
def test_split_loses_nothing_but_the_spaces_between_sentences(text):
    sentences = split_sentences(text)
    assert all(s == s.strip() and s for s in sentences)
    assert "".join(join_sentences(sentences).split()) == "".join(text.split())


@pytest.mark.parametrize("typed, tidied", [
    ("I AM COLD.", "I am cold."),
    ("i'm sick", "I'm sick"),
    ("i stood", "I stood"),
    ("so do i. you know, i.e", "So do I. You know, i.e"),  # not the i of i.e.
    ("tom is tired. he wants to sleep", "Tom is tired. He wants to sleep"),
    ("Tom is tired. He wants to sleep.", "Tom is tired. He wants to sleep."),  # unchanged
    ("iPhone is nice", "iPhone is nice"),  # not a word in lower case: kept
    ("I like CNN.", "I like CNN."),  # one word in capitals is not a line in capitals
])
def test_tidy_typing_undoes_how_people_type(typed, tidied):
    assert tidy_typing(typed) == tidied


def test_tidy_typing_restores_names_the_vocabulary_knows():
    known = {"I", "met", "Tom", "in", "Paris", "paris"}
    # "tom" is unknown and "Tom" known: a name. "paris" is known as typed: kept.
    assert tidy_typing("i met tom in paris", known) == "I met Tom in paris"


def test_tidy_typing_takes_new_words_of_a_caseless_line_for_names():
    """Where case says nothing (a line without capitals, or in capitals), a word no
    training source holds is capitalized, for the rare-name rule; a line with capitals
    keeps its lower-case words (there they are words: `historian`)."""
    known, names = {"I", "met", "in", "Paris"}, {"i", "met", "in", "paris", "he's", "a"}
    assert tidy_typing("i met svetlana in paris", known, names) == "I met Svetlana in Paris"
    assert tidy_typing("I MET SVETLANA IN PARIS", known, names) == "I met Svetlana in Paris"
    assert tidy_typing("I met svetlana in Paris", known, names) == "I met svetlana in Paris"
    assert tidy_typing("i met svetlana in paris", known) == "I met svetlana in Paris"


@pytest.mark.parametrize("sentence, ended", [
    ("Where is the station", "Where is the station?"),
    ("Do you like it", "Do you like it?"),
    ("I am cold", "I am cold."),
    ("Go!", "Go!"), ("Really?", "Really?"), ('He said "go."', 'He said "go."'),
    ("", ""),
])
def test_end_sentence_adds_the_missing_mark(sentence, ended):
    assert end_sentence(sentence) == ended


def test_the_shipped_model_translates_typed_text_as_clean_text():
    translator = s2s.load_translator()
    clean = ["I am cold.", "I'm sick.", "Where is the station?", "Tom is tired."]
    typed = ["i am cold", "i'm sick", "where is the station", "tom is tired"]
    capitals = [s.upper() for s in clean]
    expected = translator.translate(clean)
    assert translator.translate(typed) == expected
    assert translator.translate(capitals) == expected
    assert translator.split("I AM COLD. WHERE IS TOM") == ["I am cold.", "Where is Tom?"]


def test_characters_the_shipped_model_never_read_are_left_out():
    """An emoji or a word in another script was never in the English training text:
    spelled in byte pieces, it made the default model write a long invented sentence.
    It is left out (with the spaces before it); a sentence of nothing else gives ""."""
    translator = s2s.load_translator()
    readable = set(translator.source_vocab.readable_characters())
    assert {"a", "Z", "?", "'", "0"} <= readable and not {"😀", "п"} & readable
    assert translator.split("I am cold 😀") == translator.split("I 😀 am cold.") == [
        "I am cold."]
    assert translator.translate(["😀😀", "Привет", "你好", "I am cold 😀"]) == [
        "", "", "", translator.translate("I am cold.")]
    assert translator.split("Zoë est là") == ["Zoë est là."]  # Latin letters stay


def test_rare_names_are_carried_through_a_placeholder_and_put_back():
    words = corpus_words(["Tom met Mary in Paris.", "Why is he here?", "Where is John?"])
    assert "tom" in words and "paris" in words and "Tom" not in words
    known = known_words(words)
    masked, names = tf_mask_names(tf.constant([
        "Why is Rasmus here?", "Tom met Zelda and Svetlana in Paris.", "", "historian here.",
        "Rasmus, Ingrid, Yusuf, Oleg and Boris."]), known)
    # Tom is in the second sentence already, so its names become Mary and John; a
    # word in lower case is not a name; a fifth rare name has no placeholder left.
    assert [m.decode() for m in masked.numpy()] == [
        "Why is Tom here?", "Tom met Mary and John in Paris.", "", "historian here.",
        "Tom, Mary, John, Alice and Boris."]
    restored = tf_restore_names(tf.constant([
        "Pourquoi Tom est-il là ?", "Tom a rencontré Mary et John à Paris.", "", "",
        "Tom, Mary, John, Alice et Boris."]), names)
    assert [r.decode() for r in restored.numpy()] == [
        "Pourquoi Rasmus est-il là ?", "Tom a rencontré Zelda et Svetlana à Paris.", "", "",
        "Rasmus, Ingrid, Yusuf, Oleg et Boris."]


def test_numbers_are_carried_through_a_placeholder_and_put_back():
    sentences = ["Napoleon left Elba in 1815.", "Tom was 65 in 1999 and 70 in 2004.",
                 "At 11:45, 12,000 people paid 3.5 dollars, 7 each.",
                 "I paid 100 dollars for 30 eggs.", "In 2013 I was 40."]
    # Every word known (no rare name), and the numbers too: it does not matter.
    masked, numbers = tf_mask_names(tf.constant(sentences),
                                    known_words(corpus_words(sentences) + ["65", "1815"]))
    # Every number of two digits or more that stands alone, known or not: a year-like
    # one through 2013, another through 100, one of each kind per sentence; times,
    # grouped and decimal numbers and single digits stay; a sentence that holds the
    # placeholder keeps its other numbers of that kind.
    assert [m.decode() for m in masked.numpy()] == [
        "Napoleon left Elba in 2013.", "Tom was 100 in 2013 and 70 in 2004.",
        "At 11:45, 12,000 people paid 3.5 dollars, 7 each.", "I paid 100 dollars for 30 eggs.",
        "In 2013 I was 100."]
    restored = tf_restore_names(tf.constant([
        "Napoléon a quitté l'île d'Elbe en 2013.", "Tom avait 100 ans en 2013 et 70 en 2004.",
        "", "J'ai payé 100 dollars pour 30 œufs.", "En 2013, j'avais 100 ans. 2100"]), numbers)
    assert [r.decode() for r in restored.numpy()] == [
        "Napoléon a quitté l'île d'Elbe en 1815.", "Tom avait 65 ans en 1999 et 70 en 2004.",
        "", "J'ai payé 100 dollars pour 30 œufs.", "En 2013, j'avais 40 ans. 2100"]


@pytest.mark.parametrize("name", ["transformer", "en_fr"])
def test_shipped_models_keep_a_name_they_never_saw(name):
    translator = s2s.load_translator(name)
    # The shipped words are the training sources' own.
    sources = [source for source, _ in load_splits(translator.config).train]
    assert translator.source_words == corpus_words(sources)
    assert "svetlana" not in translator.source_words
    for sentence in ["Svetlana is a doctor.", "Why is Rasmus here?", "I met Zelda in Paris."]:
        rare = sentence.split()[0] if sentence.startswith("S") else sentence.split()[2]
        assert rare in translator.translate(sentence), sentence
        assert rare in translator.translate_n_best(sentence)[0][0]
    # A sentence without a rare name translates as the model alone does.
    assert "Tom" in translator.translate("Tom is here.")
    # Typed without capitals or in capitals, a new name is still a name.
    for sentence in ["i met zelda in paris", "WHY IS RASMUS HERE"]:
        rare = "Zelda" if "zelda" in sentence else "Rasmus"
        assert rare in translator.translate(sentence), sentence
