"""The stories inside a spike: its negative mentions grouped by what they say, each named by its words.

"62 negative mentions" does not say whether one thing broke or three did. Grouping the mentions by
meaning ("outage 12, double charge 3, app login 2") does. Mentions are vectors (the sentiment
model's own pooled embeddings, or TF-IDF over their terms where a model gives none), centred and
grouped by agglomerative (Ward) clustering, cut where the cosine silhouette is best: deterministic
for a given set of vectors, with no number of stories to configure. Each group is
named by the terms (`listener.core.terms`) most over-represented in it against the rest of the spike.

Pure: the caller reads the texts and computes the vectors; nothing here touches storage or a model.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from listener.core.records import Story
from listener.core.terms import terms

MAX_STORIES = 5
"""Stories named in the evidence, the largest."""
MIN_STORY_SIZE = 2
"""A story is told by at least this many mentions; a lone mention is noise, not a theme."""
MAX_CLUSTERS = 8
"""The largest number of groups tried: evidence is read at a glance."""
MIN_SILHOUETTE = 0.1
"""Below this best silhouette the mentions do not fall into groups: the spike is one story."""
NAME_TERMS = 2
"""Terms in a story's name."""
BY_EMBEDDINGS = "the sentiment model's embeddings"
BY_TERMS = "TF-IDF of their terms (the sentiment model gives no embeddings)"
"""What a spike's mentions were grouped by (`AlertEvidence.stories_from`); messages name the fallback."""
MIN_NAME_SHARE = 0.2
"""A term names a group only if at least this share of its mentions (and two) use it."""


def cluster(vectors: np.ndarray, max_clusters: int = MAX_CLUSTERS) -> list[int]:
    """A group number per row of `vectors` (0 for all when they form one group).

    The vectors are centred first: every mention of a spike shares its sentiment and its brand,
    and that common direction otherwise makes all of them look alike (uncentred, the demo outage's
    mentions split only into "one foreign-language post" and "the rest"). The unit-length centred
    rows are grouped by Ward linkage and cut into the number of groups, from 2 to about the square
    root of the count (at most `max_clusters`), with the best mean cosine silhouette; ties go to
    fewer groups, and below MIN_SILHOUETTE it is one group. A row equal to the mean stays a zero
    row (`_unit_rows`), at distance 1 from every other: never a NaN.
    """
    count = len(vectors)
    most = min(max_clusters, round(math.sqrt(count)))
    if count < 4 or most < 2:
        return [0] * count
    rows = np.asarray(vectors, dtype=np.float64)
    unit = _unit_rows(rows - rows.mean(axis=0))
    distances = np.clip(1.0 - unit @ unit.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    tree = linkage(unit, method="ward")
    best_labels, best_score = [0] * count, MIN_SILHOUETTE
    for groups in range(2, most + 1):
        labels = fcluster(tree, t=groups, criterion="maxclust")
        if len(set(labels.tolist())) < 2:
            continue
        score = silhouette(distances, labels)
        if score > best_score + 1e-9:
            best_labels, best_score = [int(label) - 1 for label in labels], score
    return best_labels


def silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of a labelling over a square distance matrix (a lone member scores 0)."""
    _, groups = np.unique(np.asarray(labels), return_inverse=True)
    members = np.eye(groups.max() + 1)[groups]  # one-hot, (n, groups)
    sizes = members.sum(axis=0)
    totals = distances @ members  # each point's summed distance to each group
    own_size = sizes[groups]
    within = totals[np.arange(len(groups)), groups] / np.maximum(own_size - 1, 1)
    means = totals / sizes
    means[np.arange(len(groups)), groups] = np.inf
    nearest = means.min(axis=1)
    spread = np.maximum(within, nearest)
    scores = np.where((own_size > 1) & (spread > 0), (nearest - within) / np.where(spread > 0, spread, 1), 0.0)
    return float(scores.mean())


def tfidf_vectors(texts: Sequence[str], excluded: frozenset[str] = frozenset()) -> np.ndarray:
    """TF-IDF rows over each text's terms: the vectors used where the model gives no embeddings."""
    term_sets = [terms(text, excluded) for text in texts]
    vocabulary = sorted({term for found in term_sets for term in found})
    if not vocabulary:
        return np.zeros((len(texts), 1))
    column = {term: index for index, term in enumerate(vocabulary)}
    document_frequency = Counter(term for found in term_sets for term in found)
    vectors = np.zeros((len(texts), len(vocabulary)))
    for row, found in enumerate(term_sets):
        for term in found:
            vectors[row, column[term]] = math.log((1 + len(texts)) / (1 + document_frequency[term])) + 1.0
    return vectors


def stories(
    texts: Sequence[str],
    vectors: np.ndarray,
    excluded: frozenset[str] = frozenset(),
    *,
    limit: int = MAX_STORIES,
    min_size: int = MIN_STORY_SIZE,
) -> tuple[Story, ...]:
    """The spike's stories, largest first (ties by name): `texts` grouped by `vectors`, each group
    named by its distinctive terms, `excluded` (the brand's own words) left out of the names."""
    if len(texts) != len(vectors):
        raise ValueError(f"{len(texts)} texts but {len(vectors)} vectors")
    labels = cluster(vectors)
    term_sets = [terms(text, excluded) for text in texts]
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(label, []).append(index)
    found = []
    for indexes in members.values():
        if len(indexes) < min_size:
            continue
        named_by = distinctive_terms([term_sets[i] for i in indexes], term_sets)
        if named_by:  # a group whose mentions share no word tells no story (two unrelated complaints)
            found.append(Story(" ".join(named_by), len(indexes), named_by))
    found.sort(key=lambda story: (-story.mentions, story.name))
    return tuple(found[:limit])


def distinctive_terms(
    group: Sequence[set[str]], everyone: Sequence[set[str]], limit: int = NAME_TERMS
) -> tuple[str, ...]:
    """The terms most over-represented in `group` against all mentions, used by at least
    MIN_NAME_SHARE of the group's mentions and two of them, most distinctive first, ties alphabetical.

    Scored by the share in the group times its log-lift over the share everywhere, so a term in
    every mention of the spike (the spike's own topic) ranks below one that sets this group apart,
    while a rare word in one mention of the group does not name it.
    """
    size, total = len(group), len(everyone)
    in_group = Counter(term for found in group for term in found)
    overall = Counter(term for found in everyone for term in found)
    floor = max(2, math.ceil(size * MIN_NAME_SHARE)) if size > 2 else size
    ranked = []
    for term, count in in_group.items():
        if count < min(floor, size):
            continue
        share = count / size
        lift = share / (overall[term] / total)
        ranked.append((share * math.log(1 + lift), count, term))
    ranked.sort(key=lambda item: (-item[0], -item[1], item[2]))
    return tuple(term for _, _, term in ranked[:limit])


def describe(found: Sequence[Story], grouped_by: str | None = None) -> str:
    """The stories as one line, e.g. `3 stories: outage 12, double charge 3, app login 2` ("" without
    any); when the mentions were grouped by anything but the model's embeddings, it says by what."""
    if not found:
        return ""
    listed = ", ".join(f"{story.name} {story.mentions}" for story in found)
    described = f"{len(found)} {'story' if len(found) == 1 else 'stories'}: {listed}"
    return described if grouped_by in (None, BY_EMBEDDINGS) else f"{described} (grouped by {grouped_by})"


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
