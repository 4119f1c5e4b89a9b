import json
import os

import pytest

import seq2seq_keras as s2s


def test_blog_char_preset_is_the_classic_example():
    c = s2s.get_preset("blog_char")
    assert (c.level, c.embedding_dim, c.units, c.batch_size, c.optimizer, c.num_pairs) == (
        "char", None, 256, 64, "rmsprop", 10_000)


def test_round_trip_through_json():
    c = s2s.get_preset("blog_char").replace(units=32, max_source_length=20)
    assert s2s.Config.from_dict(json.loads(c.to_json())) == c


def test_every_field_lives_in_one_part_and_reads_flat():
    c = s2s.get_preset("word_attention")
    nested = json.loads(c.to_json())
    assert set(nested) == {"name", "dataset", "model", "training"}
    names = [field for part in ("dataset", "model", "training") for field in nested[part]]
    assert len(names) == len(set(names)) and set(names) | {"name"} == set(c.fields())
    assert (c.dataset.level, c.model.units, c.training.epochs) == (c.level, c.units, c.epochs)
    assert (c.level, c.units, c.epochs) == ("word", 256, 22)
    c.units = 64  # a flat write changes the part
    assert c.model.units == 64 and s2s.Config(**c.fields()) == c
    built = s2s.Config(name="word_attention", dataset=c.dataset, model=c.model,
                       training=s2s.config.TrainingConfig(**nested["training"]))
    assert built == c


@pytest.mark.parametrize("model", ["en_fr", "blog_char", "transformer"])
def test_shipped_artefacts_in_the_flat_form_load(model):
    # Written before the split: every field at the top level of translator.json.
    path = os.path.join(s2s.pretrained.model_path(model), "translator.json")
    with open(path, encoding="utf-8") as handle:
        flat = json.load(handle)["config"]
    c = s2s.Config.from_dict(flat)
    assert c.fields() == {**s2s.Config().fields(), **flat}
    assert s2s.Config.from_dict(c.to_dict()) == c


def test_get_preset_returns_a_copy():
    c = s2s.get_preset("quick")
    c.units = 999
    assert s2s.get_preset("quick").units != 999


@pytest.mark.parametrize("changes, message", [
    ({"units": 0}, "units must be a positive integer, got units=0"),
    ({"level": "byte"}, "level must be"),
    ({"cell": "transformer"}, "cell must be one of"),
    ({"learning_rate": -1.0}, "learning_rate must be positive"),
    ({"embedding_dim": 0}, "embedding_dim must be a positive integer or None"),
    ({"units": True}, "units must be int, got units=True"),
    ({"warmup_steps": 100, "lr_decay": 0.5}, "give warmup_steps or lr_decay, not both"),
    ({"decay_steps": 500}, "decay_steps=500 needs warmup_steps, below it"),
    ({"warmup_steps": 100, "decay_steps": 100}, "decay_steps=100 needs warmup_steps"),
    ({"decay_steps": -1}, "decay_steps must be an integer >= 0"),
    ({"architecture": "transformer", "units": 30, "num_heads": 4}, "divisible by num_heads=4"),
    ({"model": {"colour": "red"}}, r"unknown Config fields in 'model': \['colour'\]"),
    ({"training": 3}, "training must be a TrainingConfig or a dict, got 3"),
])
def test_invalid_values_are_named(changes, message):
    with pytest.raises(ValueError, match=message):
        s2s.Config(**changes)


def test_unknown_preset_and_fields():
    with pytest.raises(ValueError, match="choose one of"):
        s2s.get_preset("nope")
    with pytest.raises(ValueError, match="unknown Config fields"):
        s2s.Config().replace(unit=3)
    with pytest.raises(ValueError, match="unknown Config fields"):
        s2s.Config.from_dict({"colour": "red"})


@pytest.mark.parametrize("counts, message", [
    ({"epochs": 0}, "epochs must be a whole number >= 1, got epochs=0"),
    ({"num_pairs": 2.5}, "num_pairs must be a whole number >= 1, got num_pairs=2.5"),
    ({"units": True}, "units must be a whole number >= 1, got units=True"),
    ({"gap_lengths": []}, "gap_lengths must not be empty"),
    ({"gap_lengths": [5, 0]}, r"gap_lengths must be a whole number >= 1, got gap_lengths=\[5, 0\]"),
])
def test_check_counts_names_the_parameter(counts, message):
    with pytest.raises(ValueError, match=message):
        s2s.check_counts(batch_size=3, **counts)
    s2s.check_counts(epochs=3, num_pairs=None, gap_lengths=[5, 20])  # these pass
