"""CTranslate2: a Transformer's weights in CTranslate2's format, and a translator over them.

[CTranslate2](https://opennmt.net/CTranslate2/) is a C++ inference engine for
Transformers (OpenNMT). `export_ctranslate2` writes a `Translator`'s Transformer
through `ctranslate2.specs`, the same weights laid out as CTranslate2 reads them;
`CTranslate2Translator` runs that folder with the package's own input rules around
it, so it gives `translate`'s strings contract (input rules, limits, placeholders, the
output limit). Needs the `ctranslate2` extra: `pip install "seq2seq-keras[ctranslate2]"`.
How each layer maps: docs/serving.md, "How the conversion maps each layer".
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from seq2seq_keras.decoding import strategies
from seq2seq_keras.layers.embeddings import sine_positions
from seq2seq_keras.models.limits import output_limits
from seq2seq_keras.text.inputs import SentenceTooLongError, SourceText
from seq2seq_keras.text.vocabulary import END_ID, PAD_ID, START_ID, UNK_ID
from seq2seq_keras.training.saving import Artefact, load_meta, save_meta

__all__ = ["SPECIAL_TOKENS", "QUANTIZATIONS", "POSITIONS", "require_ctranslate2",
           "is_ctranslate2_folder", "max_source_pieces", "ctranslate2_spec", "export_ctranslate2",
           "CTranslate2Translator"]

# CTranslate2's names for the package's 4 special ids (OpenNMT's conventions, the
# defaults of `ctranslate2.specs.TransformerConfig`).
SPECIAL_TOKENS = {PAD_ID: "<blank>", UNK_ID: "<unk>", START_ID: "<s>", END_ID: "</s>"}
# What `export_ctranslate2` writes the weights as (CTranslate2 can also quantize at
# load time: `CTranslate2Translator(compute_type=...)`).
QUANTIZATIONS = ("float32", "int8")
# Rows of the sine position table that the converted model stores (2 MB at 256 units):
# sources up to `max_source_pieces(config)` tokens, 1,637 for the shipped Transformer,
# against its 40 in training. The Keras model computes its codes for any length.
POSITIONS = 2048
INSTALL_HINT = 'pip install "seq2seq-keras[ctranslate2]" (or: pip install "ctranslate2>=4.5,<5")'


def require_ctranslate2():
    """The `ctranslate2` module, or `ModuleNotFoundError` (named `"ctranslate2"`) that
    says how to install it."""
    try:
        import ctranslate2
    except ImportError:
        raise ModuleNotFoundError(
            f"CTranslate2 is not installed (the ctranslate2 extra): {INSTALL_HINT}",
            name="ctranslate2") from None
    return ctranslate2


def is_ctranslate2_folder(path: str) -> bool:
    """Whether `path` holds a CTranslate2 model (its `model.bin`), as
    `export_ctranslate2` writes one."""
    return os.path.isfile(os.path.join(path, "model.bin"))


def _check_transformer(translator):
    config = translator.config
    if config.architecture != "transformer":
        raise ValueError(
            f"CTranslate2 runs Transformers; the model {config.name!r} is a recurrent "
            f"encoder-decoder ({config.network_summary()}): convert a Transformer such "
            "as the shipped `transformer`")


def max_source_pieces(config) -> int:
    """The longest source, in tokens, that the converted model's position table
    (`POSITIONS` rows) holds, with the longest output the searches may write for it
    (`models.limits.output_limits`: the decoder reads that many positions)."""
    return min(POSITIONS, POSITIONS * config.max_source_length // config.max_target_length)


def _tokens(vocab) -> list[str]:
    tokens = [SPECIAL_TOKENS.get(i, token) for i, token in enumerate(vocab.tokens)]
    if len(set(tokens)) != len(tokens):
        clash = sorted({t for t in tokens if tokens.count(t) > 1})
        raise ValueError(f"the vocabulary holds {clash} besides the special ids that "
                         "CTranslate2 names so; it cannot be converted")
    return tokens


def _numpy(variable) -> np.ndarray:
    return np.asarray(variable.numpy(), dtype=np.float32)


def _linear(spec, kernel, bias=None):
    """A Keras kernel `(in, ..., out)` flattened to `(in, out)`, stored `(out, in)`."""
    kernel = _numpy(kernel)
    spec.weight = np.ascontiguousarray(kernel.reshape(kernel.shape[0], -1).T)
    if bias is not None:
        spec.bias = _numpy(bias).reshape(-1)


def _dense(spec, layer):
    _linear(spec, layer.kernel, layer.bias)


def _fused(spec, layers):
    """One linear layer of several Keras projections of the same input, stacked on
    the output axis (query, key, value: CTranslate2 splits them in that order)."""
    weights = [_numpy(layer.kernel).reshape(_numpy(layer.kernel).shape[0], -1).T
               for layer in layers]
    spec.weight = np.ascontiguousarray(np.concatenate(weights, axis=0))
    spec.bias = np.concatenate([_numpy(layer.bias).reshape(-1) for layer in layers])


def _norm(spec, layer):
    spec.gamma, spec.beta = _numpy(layer.gamma), _numpy(layer.beta)


def _output_projection(spec, layer):
    """A MultiHeadAttention's output projection: its kernel `(heads, head_dim, units)`
    read as `(heads * head_dim, units)`, stored `(out, in)`."""
    kernel = _numpy(layer.kernel)
    spec.weight = np.ascontiguousarray(kernel.reshape(-1, kernel.shape[-1]).T)
    spec.bias = _numpy(layer.bias).reshape(-1)


def _attention(spec, layer, norm, self_attention):
    projections = [layer.query_dense, layer.key_dense, layer.value_dense]
    if self_attention:
        _fused(spec.linear[0], projections)
    else:
        _fused(spec.linear[0], projections[:1])
        _fused(spec.linear[1], projections[1:])
    _output_projection(spec.linear[-1], layer.output_dense)
    _norm(spec.layer_norm, norm)


def _feed_forward(spec, get, side, k):
    _norm(spec.layer_norm, get(f"{side}_{k}_ff_norm"))
    _dense(spec.linear_0, get(f"{side}_{k}_ff_in"))
    _dense(spec.linear_1, get(f"{side}_{k}_ff_out"))


def ctranslate2_spec(translator):
    """The `ctranslate2.specs.TransformerSpec` of a `Translator`'s Transformer, its
    weights and vocabularies set (float32; `export_ctranslate2` validates and saves it).

    Raises:
        ModuleNotFoundError: without the `ctranslate2` extra.
        ValueError: for a model that is not a Transformer (`"blog_char"`, `"en_fr"`), or
            whose layers CTranslate2 cannot express (named).
    """
    require_ctranslate2()
    from ctranslate2.specs import common_spec, transformer_spec

    _check_transformer(translator)
    config, model = translator.config, translator.model
    get = model.get_layer
    norms = [layer for layer in model.layers if layer.name.endswith("_norm")]
    epsilons = {float(layer.epsilon) for layer in norms}
    if len(epsilons) != 1 or not all(layer.center and layer.scale for layer in norms):
        raise ValueError(f"CTranslate2 takes one layer-norm epsilon, with a scale and an "
                         f"offset; this model has epsilons {sorted(epsilons)}")
    for side in ("encoder", "decoder"):
        activation = get(f"{side}_0_ff_in").activation.__name__
        if activation != "relu":
            raise ValueError(f"the feed-forward activation is {activation!r}; this converter "
                             "maps ReLU only")
    options = dict(pre_norm=True, activation=common_spec.Activation.RELU)
    spec = transformer_spec.TransformerSpec(
        transformer_spec.TransformerEncoderSpec(config.num_layers, config.num_heads, **options),
        transformer_spec.TransformerDecoderSpec(config.num_layers, config.num_heads, **options))
    spec.config.layer_norm_epsilon = epsilons.pop()
    positions = np.asarray(sine_positions(POSITIONS, config.units), np.float32)

    encoder, decoder = spec.encoder, spec.decoder
    encoder.embeddings[0].weight = _numpy(get("encoder_positions").embedding.embeddings)
    encoder.position_encodings.encodings = positions
    for k, layer in enumerate(encoder.layer):
        _attention(layer.self_attention, get(f"encoder_{k}_self_attention"),
                   get(f"encoder_{k}_self_norm"), self_attention=True)
        _feed_forward(layer.ffn, get, "encoder", k)
    _norm(encoder.layer_norm, get("encoder_norm"))

    embedding = _numpy(get("decoder_positions").embedding.embeddings)  # (vocab, units)
    decoder.embeddings.weight = embedding
    decoder.position_encodings.encodings = positions
    for k, layer in enumerate(decoder.layer):
        _attention(layer.self_attention, get(f"decoder_{k}_self_attention"),
                   get(f"decoder_{k}_self_norm"), self_attention=True)
        _attention(layer.attention, get(f"decoder_{k}_cross_attention"),
                   get(f"decoder_{k}_cross_norm"), self_attention=False)
        _feed_forward(layer.ffn, get, "decoder", k)
    _norm(decoder.layer_norm, get("decoder_norm"))
    output = get("decoder_dense")
    if config.tie_embeddings:  # logits = x @ E^T + b: E is already (out, in)
        decoder.projection.weight = embedding
        decoder.projection.bias = _numpy(output.bias)
    else:
        _dense(decoder.projection, output)

    spec.register_source_vocabulary(_tokens(translator.source_vocab))
    spec.register_target_vocabulary(_tokens(translator.target_vocab))
    return spec


def export_ctranslate2(translator, path: str, quantization: str = "float32") -> str:
    """Write a `Translator`'s Transformer as a CTranslate2 model folder.

    Args:
        translator: a `Translator` of a Transformer (`config.architecture ==
            "transformer"`), e.g. `load_translator("transformer")`.
        path: the folder to write (new, or empty, as for `export_translator`).
        quantization: the stored weights' type: `"float32"` (the Keras model's values)
            or `"int8"` (CTranslate2's per-row int8 of the matrices, a quarter of the
            size; the other weights float32).

    Returns:
        `path`, which `CTranslate2Translator(path)` translates with: the CTranslate2
        model, and the package's `translator.json` and `source_words.json` (no weights).

    Raises:
        ModuleNotFoundError: without the `ctranslate2` extra.
        ValueError: a model that is not a Transformer, a `quantization` not in
            `QUANTIZATIONS`, or a `path` that exists and is not an empty folder.

    Examples:
        >>> translator = s2s.load_translator("transformer")
        >>> export_ctranslate2(translator, "runs/transformer_ct2", quantization="int8")
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {list(QUANTIZATIONS)}, got "
                         f"quantization={quantization!r}")
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise ValueError(f"{path} exists and is not an empty folder; choose a new --output "
                         "for the CTranslate2 model")
    require_ctranslate2()
    _check_transformer(translator)
    spec = ctranslate2_spec(translator)
    spec.validate()
    spec.optimize(quantization=quantization)
    os.makedirs(path, exist_ok=True)
    spec.save(path)
    # The package's side of the model (config, vocabularies, default strategy, the
    # rare-name rule's words), which `CTranslate2Translator` reads: no Keras model.
    save_meta(path, Artefact(None, translator.config, translator.source_vocab,
                             translator.target_vocab, {}, translator.strategy,
                             translator.source_words))
    return path


class CTranslate2Translator:
    """A CTranslate2 model of a Transformer, with the package's input rules around it:
    `Translator`'s interface (`translate`, `translate_n_best`, `split`, ...) on
    another engine.

    Args:
        path: a folder written by `export_ctranslate2`: the CTranslate2 model, and the
            package's `translator.json` and `source_words.json` (config, vocabularies,
            default strategy, the rare-name rule's words), so no Keras model is built.
        compute_type: CTranslate2's compute type: `"default"` (the stored weights'
            type), `"float32"`, `"int8"` (float32 weights quantized at load time), ...
        intra_threads: threads per translation (0: CTranslate2's default).
        inter_threads: batches translated in parallel (each with `intra_threads`; a
            `translate` call of more than `batch_size` sentences is cut into batches).
            The defaults, 1 x 2, were the fastest on 2 cores for int8 weights at batch 1
            and 64 and for float32 at batch 64 (float32 at batch 1: 2 x 1); see
            docs/results.md, "CTranslate2".
        length_penalty: beam search ranks its hypotheses by CTranslate2's `score /
            length ** length_penalty`, not the package's `score / ((5 + length) / 6) **
            alpha` (a strategy's `alpha` is not used).

    `translate` keeps `Translator.translate`'s contract (the module's docstring says
    how): the same input rules, the same strings for greedy search in float32
    (docs/results.md). A Transformer on subwords writes no `[UNK]` to repair, so
    `replace_unknown` changes nothing; sampling is not offered, nor attention weights.

    Raises:
        ModuleNotFoundError: without the `ctranslate2` extra.
        FileNotFoundError: `path` is not a folder that `export_ctranslate2` wrote.

    Examples:
        >>> # a folder written by `seq2seq-keras export --format ctranslate2`
        >>> translator = CTranslate2Translator("runs/transformer_ct2")
        >>> translator.translate(["I am cold.", "Where is the station?"])
    """

    engine = "ctranslate2"
    has_attention = False
    replaces_unknown = False

    def __init__(self, path: str, compute_type: str = "default", intra_threads: int = 1,
                 inter_threads: int = 2, length_penalty: float = 1.0):
        ctranslate2 = require_ctranslate2()
        if not is_ctranslate2_folder(path):
            raise FileNotFoundError(
                f"{path} is not a CTranslate2 model folder (no model.bin): write one with "
                "`seq2seq-keras export --format ctranslate2 --model transformer --output DIR`")
        try:
            parts = load_meta(path)
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{path} holds a CTranslate2 model but not the package's translator.json "
                "(its vocabularies and input rules): write it with `seq2seq-keras export "
                "--format ctranslate2`") from None
        self.path, self.compute_type, self.length_penalty = path, compute_type, length_penalty
        self.config, self.strategy = parts.config, parts.strategy
        self.source_vocab, self.target_vocab = parts.source_vocab, parts.target_vocab
        self.source_words = parts.source_words
        self.source = SourceText(self.source_vocab, self.config.max_source_length,
                                 self.source_words)
        self.encode_source, self.split, self.fits = (
            self.source.encode, self.source.split, self.source.fits)
        self.max_source_pieces = max_source_pieces(self.config)
        self._source_tokens = _tokens(self.source_vocab)
        self._target_ids = {token: i for i, token in enumerate(_tokens(self.target_vocab))}
        self.model = ctranslate2.Translator(path, device="cpu", compute_type=compute_type,
                                            intra_threads=intra_threads,
                                            inter_threads=inter_threads)

    @classmethod
    def from_translator(cls, translator, path: str, **options) -> CTranslate2Translator:
        """Convert a `Translator` into the new folder `path` (`export_ctranslate2`,
        float32) and load it with `options` (see the class)."""
        return cls(export_ctranslate2(translator, path), **options)

    def __repr__(self):
        return (f"CTranslate2Translator({self.path!r}: {self.config.network_summary()}, "
                f"compute_type={self.compute_type!r}, {self.strategy.describe()})")

    def resolve_strategy(self, strategy=None, beam_width: int | None = None, **options):
        """The strategy of `translate(strategy, beam_width)`, as `Translator`'s."""
        return strategies.resolve_strategy(self.strategy, strategy, beam_width, **options)

    def output_limits(self, source_lengths) -> list[int]:
        """The most tokens decoded for each source length, as `translate`'s searches."""
        return output_limits(tf.constant(source_lengths, tf.int32),
                             self.config.max_source_length,
                             self.config.max_target_length).numpy().tolist()

    def hypotheses(self, batch_ids, beam_width: int = 1, batch_size: int = 64,
                   num_hypotheses: int = 1):
        """Per list of source ids, its best `num_hypotheses` `(output ids without
        [END], score)`, best first (`None` for an empty source). The score:
        CTranslate2's log-probability, divided by `length ** length_penalty` in beam
        search. Each sentence stops at its own output limit (`output_limits`): the
        sentences are sent in groups of one limit.

        Raises:
            SentenceTooLongError: a source over `max_source_pieces` tokens.
        """
        for name, value in (("beam_width", beam_width), ("batch_size", batch_size),
                            ("num_hypotheses", num_hypotheses)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {name}={value!r}")
        results = [None] * len(batch_ids)
        rows = [k for k, ids in enumerate(batch_ids) if len(ids)]
        longest = max((len(batch_ids[k]) for k in rows), default=0)
        if longest > self.max_source_pieces:
            raise SentenceTooLongError(
                f"a sentence of {longest} tokens is over the {self.max_source_pieces} that "
                "the CTranslate2 model's position table holds (ctranslate2.POSITIONS); "
                "translate it with the Keras model (Translator.translate)")
        groups = {}
        for k, limit in zip(rows, self.output_limits([len(batch_ids[k]) for k in rows]),
                            strict=True):
            groups.setdefault(limit, []).append(k)
        for limit, group in groups.items():
            found = self.model.translate_batch(
                [[self._source_tokens[i] for i in batch_ids[k]] for k in group],
                max_batch_size=batch_size, beam_size=max(beam_width, num_hypotheses),
                num_hypotheses=num_hypotheses, length_penalty=self.length_penalty,
                max_decoding_length=limit, min_decoding_length=0, max_input_length=0,
                return_scores=True)
            for k, result in zip(group, found, strict=True):
                results[k] = [([self._target_ids[token] for token in tokens], score)
                              for tokens, score in zip(result.hypotheses, result.scores,
                                                       strict=True)]
        return results

    def translate_ids(self, batch_ids, beam_width: int = 1, batch_size: int = 64):
        """The best output ids per list of source ids, without `[END]` (`None` if
        empty): greedy search, or beam search of `beam_width` (see `hypotheses`)."""
        return [None if found is None else found[0][0]
                for found in self.hypotheses(batch_ids, beam_width, batch_size)]

    def translate(self, sentences, strategy=None, *, beam_width: int | None = None,
                  batch_size: int = 64, replace_unknown: bool = True,
                  split_sentences: bool = True):
        """Translate a string or a list of strings, as `Translator.translate` does.

        Args:
            sentences: a string, or a list of strings (each may hold several
                sentences: see `text.inputs`).
            strategy, beam_width: greedy search or beam search (of its width; its
                `alpha` is not used: see the class), as for `Translator.translate`
                (`None`: the model's default strategy, beam search of width 4 for the
                shipped Transformer).
            batch_size: sentences decoded together.
            replace_unknown: accepted for `Translator`'s interface; changes nothing.
            split_sentences: `False`: each string is one sentence.

        Returns a string for a string, a list for a list. Raises as `translate`
        (`TypeError`, `SentenceTooLongError`, also for a sentence over
        `max_source_pieces` tokens); `ValueError` for sampling."""
        width = self._beam_width(self.resolve_strategy(strategy, beam_width))
        inputs = self.source.inputs(sentences, split_sentences)
        found = self.translate_ids(inputs.ids, width, batch_size)
        return inputs.join("" if ids is None else self.target_vocab.decode(ids)
                           for ids in found)

    def translate_n_best(self, sentences, strategy=None, *, beam_width: int | None = None,
                         batch_size: int = 64, replace_unknown: bool = True):
        """The best translations of beam search, as `(text, score)` pairs, best first
        (`Translator.translate_n_best`; the scores are CTranslate2's, see
        `hypotheses`). Each string is one sentence; `[("", 0.0)]` for an empty one."""
        beam = strategies.resolve_beam(self.strategy, strategy, beam_width)
        inputs = self.source.inputs(sentences, split=False)
        found = self.hypotheses(inputs.ids, beam.beam_width, batch_size,
                                num_hypotheses=beam.beam_width)
        found = [[([], 0.0)] if best is None else best for best in found]
        texts = iter(inputs.restore([self.target_vocab.decode(ids) for best in found
                                     for ids, _ in best],
                                    [k for k, best in enumerate(found) for _ in best]))
        results = [[(next(texts), float(score)) for _, score in best] for best in found]
        return results[0] if inputs.single else results

    @staticmethod
    def _beam_width(strategy) -> int:
        if isinstance(strategy, strategies.BeamSearch):
            return strategy.beam_width
        if isinstance(strategy, strategies.Greedy):
            return 1
        raise ValueError(f"the CTranslate2 engine decodes by greedy or beam search, not "
                         f"{strategy.describe()}; use the Keras engine for sampling")
