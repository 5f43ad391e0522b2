"""How related two articles are: their text first, then tags, category, language and time.

Each article is reduced to a vector: its terms weighted by TF-IDF (sublinear term counts
times the log of how rare the term is among published articles), its VECTOR_TERMS
heaviest kept and scaled to unit length. Two articles' text similarity is the cosine
of their vectors. Candidates are found through each article's KEY_TERMS heaviest terms
(its rarest telling words: names, places, the event itself) within WINDOW_DAYS of it.

The score adds to the text similarity smaller amounts for shared tags (weighted by how
rare each tag is), the same category, the same language and nearness in time. The text
carries most of the weight because editors' tags are generic ("politics", "jakarta"):
they say what an article is about, not which event it reports. Every weight is here.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

# The weights, chosen on the tuning part of the evaluation set (tests/data/related) and
# then checked on its held-out part: a few round numbers, each a separate signal, so
# that they carry over to other news rather than fit this set. The text decides: on the
# tuning part, 24 key terms instead of 12 took precision@5 from 0.58 to the ceiling
# (0.64), while the tag, category, language and time weights moved only which near
# misses filled the last slots; RELATIVE_CUT halved those at no cost in precision.

# How much one occurrence of a word counts, by field (app/related/analysis.py):
# headlines name the event; bodies add its details.
TITLE_WEIGHT = 3.0
SUMMARY_WEIGHT = 2.0
BODY_WEIGHT = 1.0
TEXT_WEIGHT = 1.0  # cosine of the TF-IDF vectors, 0..1
MIN_TEXT = 0.05  # a cosine below which two articles are not related, whatever else they share
TAG_WEIGHT = 0.1  # cosine of the tags weighted by rarity, 0..1
CATEGORY_WEIGHT = 0.05
LANGUAGE_WEIGHT = 0.1
TIME_WEIGHT = 0.15  # at the same moment; half of it 5 days apart (coverage of one event)
TIME_SCALE_DAYS = 7.0

VECTOR_TERMS = 32  # terms kept per article: the rest weigh little in any cosine
KEY_TERMS = 24  # terms an article is found by
MIN_KEY_WEIGHT = 0.02  # in a unit vector: lighter terms find nothing worth finding
WINDOW_DAYS = 30.0  # how far apart in time related articles may be
NEAREST = 100  # articles looked at per key term, each side: those nearest in time
MAX_CANDIDATES = 100  # articles scored per article: those sharing the most key terms
LIST_SIZE = 20  # related articles stored per article
# A list shows only articles scoring at least this share of its best: once the fellow
# reports of a story are listed, the next best is most often another event of the same
# topic (a near miss), which readers did not come for.
RELATIVE_CUT = 0.5


@dataclass(frozen=True)
class Profile:
    """What ranking needs of one article."""

    article_id: int
    published_at: datetime
    language: str
    category_id: int
    tag_ids: frozenset[int]
    vector: Mapping[str, float]  # unit length


def idf(documents: int, with_term: int) -> float:
    """How telling a term (or tag) is that `with_term` of `documents` articles carry."""
    return math.log((documents + 1) / (with_term + 0.5))


def text_vector(
    counts: Mapping[str, float], frequencies: Mapping[str, int], documents: int
) -> dict[str, float]:
    """The unit-length TF-IDF vector of an article's weighted term counts, its
    VECTOR_TERMS heaviest terms kept. `frequencies` holds each term's document frequency."""
    weights = {
        term: (1.0 + math.log(count)) * idf(documents, frequencies.get(term, 0))
        for term, count in counts.items()
        if count > 0
    }
    top = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:VECTOR_TERMS]
    norm = math.sqrt(sum(weight * weight for _, weight in top)) or 1.0
    return {term: weight / norm for term, weight in top}


def key_terms(vector: Mapping[str, float]) -> list[str]:
    """The terms an article is found by: its KEY_TERMS heaviest, leaving out those that
    weigh next to nothing (words nearly every article has)."""
    heaviest = sorted(vector, key=lambda term: (-vector[term], term))[:KEY_TERMS]
    return [term for term in heaviest if vector[term] >= MIN_KEY_WEIGHT]


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    # Two articles share a handful of their terms: intersecting the keys (in C) and then
    # summing those few is several times faster than looking up each of one's 32 terms
    # in the other. fsum rounds exactly, so the set's order cannot change the result.
    return math.fsum(a[term] * b[term] for term in a.keys() & b.keys())


def tag_similarity(a: frozenset[int], b: frozenset[int], rarity: Mapping[int, float]) -> float:
    """Cosine of two tag sets, each tag weighted by its rarity."""
    shared = a & b
    if not shared:
        return 0.0
    norm_a = math.sqrt(sum(rarity.get(tag, 1.0) ** 2 for tag in a))
    norm_b = math.sqrt(sum(rarity.get(tag, 1.0) ** 2 for tag in b))
    return sum(rarity.get(tag, 1.0) ** 2 for tag in shared) / (norm_a * norm_b)


def score(a: Profile, b: Profile, tag_rarity: Mapping[int, float]) -> float:
    """How related two articles are; symmetric, higher is closer, 0 when their text has
    too little in common: tags, category, language and time only tell apart articles
    whose words already match."""
    text = cosine(a.vector, b.vector)
    if text < MIN_TEXT:
        return 0.0
    days = abs((a.published_at - b.published_at).total_seconds()) / 86400
    return (
        TEXT_WEIGHT * text
        + TAG_WEIGHT * tag_similarity(a.tag_ids, b.tag_ids, tag_rarity)
        + CATEGORY_WEIGHT * (a.category_id == b.category_id)
        + LANGUAGE_WEIGHT * (a.language == b.language)
        + TIME_WEIGHT * math.exp(-days / TIME_SCALE_DAYS)
    )


def best(
    source: Profile, candidates: Iterable[Profile], tag_rarity: Mapping[int, float]
) -> list[tuple[int, float]]:
    """(article id, score) of the LIST_SIZE candidates most related to `source`, best first."""
    scored = [
        (candidate.article_id, score(source, candidate, tag_rarity))
        for candidate in candidates
        if candidate.article_id != source.article_id
    ]
    scored.sort(key=lambda pair: (-pair[1], -pair[0]))
    return [(article_id, value) for article_id, value in scored[:LIST_SIZE] if value > 0]
