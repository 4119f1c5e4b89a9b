"""`train(config)`: the one-call training path of the CLI, and `prepare_data`.

The notebooks call `prepare_data`, `build_training_model`, `compile_model` and
`model.fit` themselves; `train` strings the same calls together with the callbacks a
long run needs and writes the trained model (`training.saving`) with its history and
measurements.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import resource
import shutil
import statistics
import tempfile

import keras
import numpy as np
import tensorflow as tf

from seq2seq_keras.config import Config
from seq2seq_keras.data.corpus import Splits
from seq2seq_keras.data.datasets import encode_pairs, load_splits, make_dataset
from seq2seq_keras.decoding.strategies import BeamSearch
from seq2seq_keras.models.rnn import build_training_model
from seq2seq_keras.models.seq2seq import Seq2Seq
from seq2seq_keras.text.placeholders import corpus_words
from seq2seq_keras.text.vocabulary import Vocabulary
from seq2seq_keras.training.callbacks import run_callbacks
from seq2seq_keras.training.distribution import get_distribution, work_around_multi_worker_fit
from seq2seq_keras.training.lexicon import learn_lexicon
from seq2seq_keras.training.optimizer import compile_model
from seq2seq_keras.training.saving import Artefact, load_artefact, save_artefact

__all__ = ["PreparedData", "prepare_data", "TrainingResult", "train", "peak_rss_mb",
           "average_checkpoints"]


@dataclasses.dataclass
class PreparedData:
    """A corpus read, split, tokenized and encoded for one `Config`.

    Attributes:
        config: the config, with `max_source_length` and `max_target_length` resolved
            from the training split where they were `None`.
        splits: the `data.Splits` of sentence pairs.
        source_vocab: `Vocabulary` built on the training sources.
        target_vocab: `Vocabulary` built on the training targets.
        train: `(source_ids, target_ids)` int32 arrays of the training pairs.
        validation: the same for the validation pairs.
    """

    config: Config
    splits: Splits
    source_vocab: Vocabulary
    target_vocab: Vocabulary
    train: tuple[np.ndarray, np.ndarray]
    validation: tuple[np.ndarray, np.ndarray]

    def datasets(self):
        """`(train_dataset, validation_dataset)` for `model.fit` (see `make_dataset`)."""
        c = self.config
        train = make_dataset(*self.train, c.batch_size, shuffle=True, seed=c.seed,
                             sort_window=c.sort_window)
        validation = make_dataset(*self.validation, c.batch_size, sort_window=c.sort_window)
        return train, validation


def prepare_data(config: Config, skip_malformed: bool = False) -> PreparedData:
    """Load the config's corpus, split it by English sentence, build vocabularies.

    Args:
        config: the run's `Config` (`data`, `num_pairs`, split fractions, lengths,
            vocabulary limits).
        skip_malformed: skip malformed corpus lines (with a warning giving their
            count) instead of raising `data.CorpusError`.

    Returns:
        A `PreparedData`.

    Raises:
        data.CorpusError: the corpus is missing, empty or malformed.
        ValueError: the training or validation split is empty.
    """
    splits = load_splits(config, skip_malformed=skip_malformed)
    if not splits.train or not splits.validation:
        total = len(splits.train) + len(splits.validation) + len(splits.test)
        raise ValueError(
            f"{total} pairs give {len(splits.train)} training and "
            f"{len(splits.validation)} validation pairs; use more pairs (num_pairs) or a "
            "larger validation_fraction")

    def vocabulary(texts, size):
        return Vocabulary.build(texts, level=config.level, max_tokens=size,
                                min_count=config.min_count, seed=config.seed)

    if config.joint_vocabulary:  # one SentencePiece model, trained on both sides
        source_vocab = target_vocab = vocabulary(
            [text for pair in splits.train for text in pair], config.max_source_tokens)
    else:
        source_vocab = vocabulary((s for s, _ in splits.train), config.max_source_tokens)
        target_vocab = vocabulary((t for _, t in splits.train), config.max_target_tokens)
    train = encode_pairs(splits.train, source_vocab, target_vocab,
                         config.max_source_length, config.max_target_length)
    # Fix the limits to what training saw: translate refuses longer sources, and the
    # decoder stops after the longest target (+2 for [START] and [END] on that side).
    config = config.replace(max_source_length=config.max_source_length or train[0].shape[1],
                            max_target_length=config.max_target_length or train[1].shape[1] - 2)
    validation = encode_pairs(splits.validation, source_vocab, target_vocab,
                              config.max_source_length, config.max_target_length)
    if len(validation[0]) == 0:
        raise ValueError("every validation pair is longer than the length limits")
    return PreparedData(config, splits, source_vocab, target_vocab, train, validation)


# The fields that fix the layers' weights: a run can start from another's weights only
# where these agree (see `train(init_from=...)`).
_ARCHITECTURE = ("level", "cell", "units", "embedding_dim", "num_layers", "bidirectional",
                 "attention", "attention_dim")


def _start_from(model, path: str, prepared: PreparedData) -> None:
    """Set `model`'s weights to those of the translator saved in `path`."""
    start = load_artefact(path)
    changed = [f"{field}={getattr(start.config, field)!r} (now "
               f"{getattr(prepared.config, field)!r})" for field in _ARCHITECTURE
               if getattr(start.config, field) != getattr(prepared.config, field)]
    if changed:
        raise ValueError(f"cannot start from {path}: its model has " + ", ".join(changed))
    if (start.source_vocab, start.target_vocab) != (prepared.source_vocab,
                                                    prepared.target_vocab):
        raise ValueError(f"cannot start from {path}: its vocabularies differ from those of "
                         "this corpus and config (data, num_pairs, split and vocabulary "
                         "settings must be the same)")
    model.set_weights(start.model.get_weights())


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux: `ru_maxrss` in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclasses.dataclass
class TrainingResult:
    """What `train` returns.

    Attributes:
        artefact: the trained model (best validation-loss weights) with its config,
            vocabularies, lexicon and strategy: `translation.Translator(**vars(artefact))`.
        history: per-epoch logs (`loss`, `accuracy`, `val_loss`, `val_accuracy`,
            `seconds`), as lists.
        metrics: the run's summary, also written to `metrics.json`.
    """

    artefact: Artefact
    history: dict
    metrics: dict


def _blog_equivalent_loss(loss_per_token, target_ids):
    # The classic example averages its loss over every position of targets padded to
    # the longest sentence, padding included, and padding is nearly free to predict.
    # Spreading our per-token loss over the same padded positions (padding counted as
    # zero loss) gives the figure to compare with its printed val_loss.
    real = np.count_nonzero(target_ids[:, 1:])
    return float(loss_per_token * real / target_ids[:, 1:].size)


def _read_log(path) -> dict:
    """The CSV training log as `{column: [values]}` (empty if there is none)."""
    if not os.path.exists(path):
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else {})}


def average_checkpoints(model: keras.Model, paths) -> keras.Model:
    """Set `model`'s weights to the mean of the weight files `paths`.

    The mean of the last few epochs' weights is often a better model than any one of
    them (the optimizer's noise averages out); choose by validation BLEU.

    Raises:
        ValueError: if `paths` is empty.
    """
    paths = list(paths)
    if not paths:
        raise ValueError("no checkpoints to average")
    total = None
    for path in paths:
        model.load_weights(path)
        weights = model.get_weights()
        total = weights if total is None else [t + w for t, w in zip(total, weights, strict=True)]
    model.set_weights([t / len(paths) for t in total])
    return model


def train(config: Config, output_dir: str | None = None, skip_malformed: bool = False,
          verbose="auto", distribution=None, init_from: str | None = None,
          restart: bool = False) -> TrainingResult:
    """Train a model for `config` and save it, as `translation.Translator` loads it, in
    `output_dir`.

    The best weights by validation loss are kept; running the same call again after
    an interruption resumes from the last finished epoch (`callbacks.run_callbacks`).

    Args:
        config: the run's `Config`.
        output_dir: where to write the model (`training.saving.save_artefact`), `history.json`,
            `metrics.json`, `training_log.csv` and `tensorboard/` (`None`: a temporary
            folder, removed afterwards).
        skip_malformed: skip malformed corpus lines instead of failing.
        verbose: passed to `model.fit` (`"auto"`: progress bars).
        distribution: a `tf.distribute` strategy or its name (`get_distribution`).
        init_from: a saved model to start from instead of random weights; its
            architecture and vocabularies must be the ones `config` gives. The
            optimizer starts afresh.
        restart: discard an interrupted run in `output_dir` instead of resuming it.

    Returns:
        A `TrainingResult`.

    Raises:
        ValueError: for a bad config or corpus, or when `output_dir` holds an
            interrupted run of another config (resume it with the same one, pass
            `restart=True`, or choose another folder).
    """
    if output_dir is None:
        with tempfile.TemporaryDirectory() as tmp:
            return train(config, tmp, skip_malformed, verbose, distribution, init_from)
    # First: a multi-worker strategy must exist before TensorFlow runs anything.
    distribution = get_distribution(distribution)
    created = _open_output(output_dir, config, restart)
    try:
        keras.utils.set_random_seed(config.seed)
        prepared = prepare_data(config, skip_malformed=skip_malformed)
        config = prepared.config
        train_ds, val_ds = prepared.datasets()
        # Variables made inside the scope are mirrored on every replica; Keras' fit
        # then splits each global batch of `batch_size` pairs across the replicas.
        with distribution.scope():
            model = compile_model(build_training_model(
                config, len(prepared.source_vocab), len(prepared.target_vocab)), config)
        if isinstance(distribution, tf.distribute.MultiWorkerMirroredStrategy):
            work_around_multi_worker_fit(model, train_ds)
        if init_from is not None:
            _start_from(model, init_from, prepared)
    except BaseException:  # a failed start leaves nothing behind
        if created:
            shutil.rmtree(output_dir, ignore_errors=True)
        elif os.path.exists(os.path.join(output_dir, _RUN_FILE)):
            os.remove(os.path.join(output_dir, _RUN_FILE))
        raise
    callbacks = run_callbacks(config, output_dir, _earlier_best(output_dir))
    model.fit(train_ds, validation_data=val_ds, epochs=config.epochs, callbacks=callbacks,
              verbose=verbose, shuffle=False)
    os.remove(os.path.join(output_dir, _RUN_FILE))
    best_path = os.path.join(output_dir, "best.weights.h5")
    if os.path.exists(best_path):
        model.load_weights(best_path)
        os.remove(best_path)
    # The log holds every epoch, also those before an interruption.
    history = _read_log(os.path.join(output_dir, "training_log.csv"))
    metrics = _measure(model, prepared, val_ds, distribution, history, callbacks[0].seconds)
    metrics["initialized_from"] = init_from
    artefact = _artefact(model, prepared)
    save_artefact(output_dir, artefact)
    for name, content in (("history.json", history), ("metrics.json", metrics)):
        with open(os.path.join(output_dir, name), "w", encoding="utf-8") as handle:
            json.dump(content, handle, indent=1)
    return TrainingResult(artefact, history, metrics)


# The config of the run in progress, beside its `backup/` (removed when the run ends).
_RUN_FILE = "run_in_progress.json"


def _open_output(output_dir: str, config: Config, restart: bool) -> bool:
    """Create `output_dir` if needed (`True` if created) and check that an interrupted
    run in it (`backup/`) can be resumed with `config`, or discard it (`restart`)."""
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise ValueError(f"the output {output_dir} is a file; give a folder")
    created = not os.path.exists(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    backup_dir, run_path = os.path.join(output_dir, "backup"), os.path.join(output_dir, _RUN_FILE)
    if restart and os.path.isdir(backup_dir):
        shutil.rmtree(backup_dir)
    if os.path.isdir(backup_dir) and os.listdir(backup_dir) and os.path.isfile(run_path):
        with open(run_path, encoding="utf-8") as handle:
            earlier = Config.from_dict(json.load(handle))
        # The data and the network fix the weights' shapes; training options may change.
        fields = [f.name for part in (config.dataset, config.model)
                  for f in dataclasses.fields(part)]
        changed = [f"{field}={getattr(earlier, field)!r} (now {getattr(config, field)!r})"
                   for field in fields if getattr(earlier, field) != getattr(config, field)]
        if changed:
            raise ValueError(f"{backup_dir} holds an interrupted run of another config: "
                             f"{', '.join(changed)}; run the same command to resume it, pass "
                             "--restart (restart=True) to discard it, or choose another "
                             "--output")
    with open(run_path, "w", encoding="utf-8") as handle:
        handle.write(config.to_json())
    return created


def _earlier_best(output_dir: str):
    """An interrupted run's best validation loss, to beat; `None` for a fresh run,
    whose old log and best checkpoint are removed (a backup means an interrupted run
    of this command: it resumes and keeps them)."""
    log_path = os.path.join(output_dir, "training_log.csv")
    backup_dir = os.path.join(output_dir, "backup")
    if not (os.path.isdir(backup_dir) and os.listdir(backup_dir)):
        for path in (log_path, os.path.join(output_dir, "best.weights.h5")):
            if os.path.exists(path):
                os.remove(path)
    earlier = _read_log(log_path).get("val_loss")
    return min(earlier) if earlier else None


def _measure(model, prepared: PreparedData, val_ds, distribution, history: dict,
             seconds: list) -> dict:
    """The run's summary (`metrics.json`): sizes, speed, memory, validation loss."""
    config = prepared.config
    times = history.get("seconds", seconds)
    if config.label_smoothing:
        # The smoothed loss chose the epochs; report the plain cross-entropy, the
        # figure that compares with runs without smoothing.
        with distribution.scope():
            compile_model(model, config.replace(label_smoothing=0.0))
    val_loss, val_accuracy = model.evaluate(val_ds, verbose=0)
    # The first epoch includes tracing; the median of the later ones is the steady state.
    steady = statistics.median(times[1:] or times) if times else None
    return {
        "preset": config.name,
        "train_pairs": int(len(prepared.train[0])),
        "validation_pairs": int(len(prepared.validation[0])),
        "test_pairs": len(prepared.splits.test),
        "source_vocab_size": len(prepared.source_vocab),
        "target_vocab_size": len(prepared.target_vocab),
        "parameters": int(model.count_params()),
        "epochs_run": len(history.get("loss", [])),
        "best_epoch": int(np.argmin(history["val_loss"])) + 1 if history.get("val_loss")
        else None,
        "first_epoch_seconds": round(times[0], 2) if times else None,
        "seconds_per_epoch": round(steady, 2) if steady else None,
        # Real target tokens ([END] included) learned per second of a steady epoch.
        "target_tokens_per_second": round(np.count_nonzero(prepared.train[1][:, 1:]) / steady)
        if steady else None,
        "peak_rss_mb": round(peak_rss_mb()),
        "val_loss_per_token": round(float(val_loss), 4),
        "val_loss_blog_equivalent": round(
            _blog_equivalent_loss(val_loss, prepared.validation[1]), 4),
        "val_accuracy": round(float(val_accuracy), 4),
    }


def _artefact(model, prepared: PreparedData) -> Artefact:
    """The trained model with what translating needs: beam search as its default
    strategy, the words the rare-name rule looks up (`text.placeholders`), and for a
    word-level model with attention the `[UNK]` lexicon (`lexicon`)."""
    config = prepared.config
    words = (corpus_words([source for source, _ in prepared.splits.train])
             if config.level != "char" else None)
    lexicon = (learn_lexicon(prepared.splits.train, prepared.source_vocab,
                             prepared.target_vocab, Seq2Seq(model).attention)
               if config.level == "word" and config.attention is not None else {})
    return Artefact(model, config, prepared.source_vocab, prepared.target_vocab, lexicon,
                    BeamSearch(), words)
