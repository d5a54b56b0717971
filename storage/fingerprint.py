"""Fingerprints of an article's text for finding the same story elsewhere. Pure: text in, numbers out.

Two signals, because a story travels in two ways:

* a MinHash signature of word shingles, cut into LSH bands: texts that are *mostly* the same
  (a new intro, another date line, a cut paragraph, another site's template) share a band with
  high probability, and the signatures estimate their Jaccard similarity;
* hashes of the text's long sentences: a press release quoted paragraph by paragraph inside an
  otherwise new report shares whole sentences verbatim, far too few shingles for the MinHash.

Exact duplicates need neither: `storage.articles.text_hash` already names the text.

Cost is bounded whatever the text's size (a 2.7 MB PDF dump once took 7 s and 860 MB): the
MinHash runs over MINHASH_CHUNK shingles at a time, and a text keeps at most MAX_PASSAGES
sentences, chosen by smallest hash so that two copies of one huge text keep the same ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain

import numpy as np
import xxhash

PERMUTATIONS = 128
BANDS = 32
ROWS = PERMUTATIONS // BANDS  # 4 rows a band: a pair at Jaccard 0.5 shares a band with p ≈ 0.87
SHINGLE_WORDS = 5
PASSAGE_MIN_WORDS = 8  # shorter sentences ("Die Teilnahme ist kostenfrei.") recur by chance
MAX_PASSAGES = 1000  # sentences indexed per text: ~20k words, far more than any article prints
TOPIC_MIN_LETTERS = 5  # shorter words are mostly articles and prepositions ("der", "with")
MINHASH_CHUNK = 4096  # shingles hashed at once: 4096 x 128 x 8 bytes = 4 MiB of temporaries

# Multiply-add-shift hashing ((a*x + b) mod 2**64) >> 32 of 32-bit keys is a universal family:
# one random (a, b) per permutation. Fixed seed: signatures are stored, so they must never change.
_RNG = np.random.default_rng(20261121)
_A = _RNG.integers(0, 1 << 64, size=PERMUTATIONS, dtype=np.uint64, endpoint=False) | np.uint64(1)
_B = _RNG.integers(0, 1 << 64, size=PERMUTATIONS, dtype=np.uint64, endpoint=False)
_SHIFT = np.uint64(32)
_WORD = re.compile(r"\w+")
# A sentence ends at . ! ? unless a lower-case word or a month follows ("am 27. und 28. März");
# so does a line. That is "(?<=[.!?])\s+(?=…)(?!…)|\n+", written to open with a space: the regex
# engine then skips to spaces instead of trying each character (half the time).
_MONTHS = "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
_SENTENCE_END = re.compile(rf"\s(?:(?<=[.!?]\s)\s*(?=[^a-zäöüß\s])(?!(?:{_MONTHS})\b)|(?<=\n)\n*)")
# the sentences, each followed by the spaces _SENTENCE_END matched after it: where each begins and ends
_SENTENCE_PIECES = re.compile(f"({_SENTENCE_END.pattern})")
# every ASCII byte that is no word character of _WORD (a mark, a space) as a space; the bytes of
# other characters as they are
_ASCII_NON_WORD_TO_SPACE = bytes(b if b >= 0x80 or chr(b).isalnum() or chr(b) == "_" else 0x20 for b in range(256))
# Double quotation marks only: an apostrophe ("city’s") is no quotation
QUOTE_MARK = re.compile(r'[„“”"«»]')


@dataclass(frozen=True)
class Fingerprint:
    """What the near-duplicate index stores about one text."""

    signature: np.ndarray  # PERMUTATIONS uint32 minima
    shingles: int  # size of the shingle set (0 for a text shorter than one shingle)
    passages: tuple[tuple[int, int], ...]  # (sentence hash, words in it), one per distinct long sentence
    words: int = 0  # words of the whole text: the share rule divides shared words by the shorter text's
    speech: frozenset[int] = frozenset()  # hashes of the passages printed as direct speech ("…", „…“)

    def bands(self) -> list[tuple[int, int]]:
        """(band number, band hash) pairs: the LSH keys of this text."""
        return band_keys(self.signature)


def fingerprint(text: str) -> Fingerprint:
    """The MinHash signature and sentence hashes of `text`."""
    # each sentence's words read once, for the passages, the speech and (joined) the shingles: no
    # word spans two sentences, since they part at spaces, and case folding needs no context
    pieces = _SENTENCE_PIECES.split(text)
    sentences = [_encoded_words(sentence) for sentence in pieces[::2]]
    words = list(chain.from_iterable(sentences))
    hashes = _shingle_hashes(words)
    return Fingerprint(minhash(hashes), len(hashes), _passages(sentences), len(words), _speech(text, pieces, sentences))


def words_of(text: str) -> list[str]:
    """Case-folded words without punctuation, so a template's quotes or dashes change nothing."""
    return _WORD.findall(text.casefold())


def _encoded_words(text: str) -> list[bytes]:
    """words_of(text), each in UTF-8, at two thirds of the cost: ASCII marks and spaces part
    words by a byte translation; only a piece with a non-ASCII mark („, –, NBSP) is read by _WORD."""
    data = text.casefold().encode("utf-8", "surrogatepass")
    pieces = data.translate(_ASCII_NON_WORD_TO_SPACE).split()
    if data.isascii():
        return pieces
    words = []
    for piece in pieces:
        # "für" is one word: \w is what isalnum() accepts, and "_"
        if piece.isascii() or (decoded := piece.decode("utf-8", "surrogatepass")).isalnum():
            words.append(piece)
        else:
            words.extend(word.encode() for word in _WORD.findall(decoded))
    return words


def shingle_hashes(words: list[str]) -> np.ndarray:
    """Distinct 32-bit hashes of the word SHINGLE_WORDS-grams (one shingle for a shorter text)."""
    return _shingle_hashes(list(map(str.encode, words)))


def _shingle_hashes(encoded: list[bytes]) -> np.ndarray:
    """shingle_hashes of the words in UTF-8."""
    size = min(SHINGLE_WORDS, len(encoded))
    if size == 0:
        return np.zeros(0, dtype=np.uint64)
    count = len(encoded) - size + 1
    # the words' UTF-8 joined once and each shingle a slice of it, not a string joined and encoded
    # per shingle (a 2.7 MB text peaks at ~95 MB, of which the words themselves are half)
    ends = np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)) + 1).tolist()
    joined, starts = b" ".join(encoded), [0, *ends]
    hashes = np.fromiter([xxhash.xxh3_64_intdigest(joined[start : end - 1])
                          for start, end in zip(starts[:count], ends[size - 1 :], strict=True)],
                         dtype=np.uint64, count=count)
    return _distinct(hashes & np.uint64(0xFFFFFFFF))


def _distinct(values: np.ndarray) -> np.ndarray:
    """np.unique (sorted, each once) at a tenth of its cost on a few thousand numbers."""
    values.sort()
    keep = np.ones(values.size, dtype=bool)
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def minhash(hashes: np.ndarray) -> np.ndarray:
    """MinHash signature of a set of 32-bit hashes: the minimum under each hash function."""
    minima = np.full(PERMUTATIONS, 0xFFFFFFFF, dtype=np.uint64)
    for start in range(0, hashes.size, MINHASH_CHUNK):
        chunk = hashes[start : start + MINHASH_CHUNK]
        permuted = np.multiply(chunk[:, None], _A)
        permuted += _B  # uint64 arithmetic wraps: that is the mod 2**64
        # the shift after the minimum: it keeps the order, and runs on 128 numbers, not the matrix
        np.minimum(minima, permuted.min(axis=0) >> _SHIFT, out=minima)
    return minima.astype(np.uint32)


def band_keys(signature: np.ndarray) -> list[tuple[int, int]]:
    """Hash each band of ROWS minima to a signed 64-bit integer, as SQLite stores it."""
    return [(band, to_int64(xxhash.xxh3_64_intdigest(signature[band * ROWS : (band + 1) * ROWS].tobytes())))
            for band in range(BANDS)]


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Share of equal minima: an unbiased estimate of the Jaccard similarity of the shingle sets."""
    return float(np.count_nonzero(a == b)) / PERMUTATIONS


def passage_hashes(text: str) -> tuple[tuple[int, int], ...]:
    """(hash, word count) of each distinct sentence of at least PASSAGE_MIN_WORDS words.

    At most MAX_PASSAGES of them, those of smallest hash: a consistent sample, so copies of one
    huge text still share their sampled sentences.
    """
    return _passages([_encoded_words(sentence) for sentence in _SENTENCE_END.split(text)])


def _passages(sentences: list[list[bytes]]) -> tuple[tuple[int, int], ...]:
    seen: dict[int, int] = {}
    for words in sentences:
        if len(words) >= PASSAGE_MIN_WORDS:
            seen.setdefault(_sentence_key(words), len(words))
    if len(seen) > MAX_PASSAGES:
        return tuple((key, seen[key]) for key in sorted(seen)[:MAX_PASSAGES])
    return tuple(seen.items())


def speech_hashes(text: str) -> frozenset[int]:
    """Hashes of the long sentences mostly inside quotation marks: a statement someone made,
    which different stories quote (issue 11), unlike a release's own sentences a report reprints."""
    pieces = _SENTENCE_PIECES.split(text)
    return _speech(text, pieces, [_encoded_words(sentence) for sentence in pieces[::2]])


def _speech(text: str, pieces: list[str], sentences: list[list[bytes]]) -> frozenset[int]:
    """speech_hashes, given _SENTENCE_PIECES' split of `text` and the words of each sentence."""
    marks = [m.start() for m in QUOTE_MARK.finditer(text)]
    spans = list(zip(marks[::2], marks[1::2], strict=False))  # „…“, “…”, "…" pair up in order
    if not spans:
        return frozenset()
    out = set()
    begin = first = 0  # spans[first] is the first span that may reach into this sentence or a later one
    for sentence, space, words in zip(pieces[::2], [*pieces[1::2], ""], sentences, strict=True):
        end = begin + len(sentence)
        if len(words) >= PASSAGE_MIN_WORDS:
            # the spans are in order and apart: those before the sentence stay before the next one
            while first < len(spans) and spans[first][1] <= begin:
                first += 1
            inside, at = 0, first
            while at < len(spans) and spans[at][0] < end:
                inside += min(end, spans[at][1]) - max(begin, spans[at][0])
                at += 1
            if 2 * inside > end - begin:
                out.add(_sentence_key(words))
        begin = end + len(space)
    return frozenset(out)


def _sentence_key(words: list[bytes]) -> int:
    return to_int64(xxhash.xxh3_64_intdigest(b" ".join(words)))


def topic_overlap(a: str, b: str, shared: set[int]) -> float:
    """How much two texts say alike outside their `shared` sentences: common content words
    (TOPIC_MIN_LETTERS+ letters, no numbers) over those of the text with fewer."""
    words = [_topic_words(text, shared) for text in (a, b)]
    fewer = min(len(words[0]), len(words[1]))
    return len(words[0] & words[1]) / fewer if fewer else 0.0


def _topic_words(text: str, shared: set[int]) -> set[str]:
    out: set[str] = set()
    for sentence in _SENTENCE_END.split(text):
        words = words_of(sentence)
        if len(words) < PASSAGE_MIN_WORDS or _sentence_key(list(map(str.encode, words))) not in shared:
            out.update(w for w in words if len(w) >= TOPIC_MIN_LETTERS and not w.isdigit())
    return out


def signature_to_bytes(signature: np.ndarray) -> bytes:
    return signature.astype("<u4").tobytes()


def signature_from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4").astype(np.uint32)


def to_int64(value: int) -> int:
    """An unsigned 64-bit hash as the signed integer SQLite can store."""
    return value - (1 << 64) if value >= 1 << 63 else value
