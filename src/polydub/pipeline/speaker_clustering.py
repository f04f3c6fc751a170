"""Group speech windows by voice: how many speakers there are, and who spoke each window.

Spectral clustering of speaker embeddings, as in Wang et al. 2018 ("Speaker Diarization with
LSTM"): a cosine affinity pruned to each window's nearest neighbours, the number of speakers
from the largest eigengap of its Laplacian (or the user's `speakers` as a maximum), k-means
on the spectral embedding. Average-linkage clustering chained two similar voices together on
the pyannote sample (54% of windows right vs 90% spectral). Clusters whose centroids are as
alike as one voice with itself are merged afterwards (more readily when one has little speech),
so a single speaker, or a user asking for more speakers than are present, does not split a
person in two.
"""

from __future__ import annotations

import numpy as np

# Two clusters whose duration-weighted centroids are this alike are one voice. Measured with
# resemblyzer: one voice split in two scores 0.95+; two speakers on one phone line 0.8-0.9;
# different voices of a generated dialogue 0.5-0.7.
SAME_VOICE_SIMILARITY = 0.92
# A cluster with less speech than this is a voice of its own only when it is clearly unlike
# the others: on a few seconds of speech the windows overlap, their embeddings drift along
# the sentence, and the graph of nearest neighbours falls apart into pieces of one voice
# (one speaker's 2.5 s sentence split in two at 0.88 similarity; other voices score 0.5-0.7).
MIN_SPEAKER_SECONDS = 2.0
SHORT_VOICE_SIMILARITY = 0.75
MAX_SPEAKERS = 8
MAX_CLUSTERED = 1500  # windows clustered directly; beyond, a spread subset is (about 10 min)
# k clusters are real when the k-th Laplacian eigenvalue is at most this share of the next
# one: 0.02 (three voices, generated), 0.21 (two women on one phone line, the pyannote
# sample), 0.56 for one LibriVox reader whose passages differ (a single speaker).
DECISIVE_GAP = 0.4
_NEIGHBOURS = 0.2  # share of windows each window keeps in its affinity row
_SEED = 0


def cluster_speakers(
    embeddings: np.ndarray,
    weights: np.ndarray,
    *,
    speakers: int | None = None,
    max_speakers: int = MAX_SPEAKERS,
) -> list[int]:
    """A speaker number per window, numbered by first appearance (0, 1, ...).

    Args:
        embeddings: (n, d) unit-length speaker embeddings, one per window, in time order.
        weights: (n,) seconds of speech each window stands for (weights the centroids).
        speakers: the number of speakers when the user knows it; treated as a maximum.
    """
    n = len(embeddings)
    if n == 0:
        return []
    if n < 3 or speakers == 1:
        return [0] * n
    if n > MAX_CLUSTERED:
        return _cluster_subset(embeddings, weights, speakers, max_speakers)
    affinity = pruned_affinity(embeddings)
    upper = min(speakers or max_speakers, n - 1)
    # A given count is a maximum; the eigengap still decides (one voice stays one speaker).
    vectors, count = spectral_embedding(affinity, upper, lower=2 if speakers else 1)
    from sklearn.cluster import KMeans

    if count < 2:
        labels = np.zeros(n, int)
    else:
        labels = KMeans(count, n_init=10, random_state=_SEED).fit_predict(vectors[:, :count])
    labels = merge_alike_clusters(embeddings, weights, labels)
    return number_by_first_appearance(labels.tolist())


def _cluster_subset(
    embeddings: np.ndarray, weights: np.ndarray, speakers: int | None, max_speakers: int
) -> list[int]:
    """Long videos: cluster evenly spaced windows, then give every window its nearest
    centroid (the eigen-decomposition grows with the cube of the window count)."""
    picked = np.linspace(0, len(embeddings) - 1, MAX_CLUSTERED).round().astype(int)
    labels = cluster_speakers(
        embeddings[picked], weights[picked], speakers=speakers, max_speakers=max_speakers
    )
    cents = centroids(embeddings[picked], weights[picked], np.asarray(labels))
    keys = sorted(cents)
    nearest = np.argmax(embeddings @ np.stack([cents[k] for k in keys]).T, axis=1)
    return number_by_first_appearance([keys[i] for i in nearest])


def pruned_affinity(embeddings: np.ndarray) -> np.ndarray:
    """Cosine affinity keeping each row's strongest neighbours, symmetrised."""
    n = len(embeddings)
    affinity = np.clip(embeddings @ embeddings.T, 0.0, 1.0)
    keep = max(2, int(np.ceil(_NEIGHBOURS * n)))
    threshold = -np.sort(-affinity, axis=1)[:, keep - 1 : keep]
    pruned = np.where(affinity >= threshold, affinity, 0.0)
    return np.maximum(pruned, pruned.T)


def spectral_embedding(affinity: np.ndarray, upper: int, lower: int = 1) -> tuple[np.ndarray, int]:
    """Eigenvectors of the normalised Laplacian (smallest first), and the cluster count with
    the largest decisive eigengap among `lower`..`upper`; 1 when no gap is decisive."""
    degree = affinity.sum(axis=1)
    inv = 1.0 / np.sqrt(np.maximum(degree, 1e-12))
    laplacian = np.eye(len(affinity)) - inv[:, None] * affinity * inv[None, :]
    values, vectors = np.linalg.eigh(laplacian)
    # The widest gap among the decisive ones: the widest overall can lie among within-speaker
    # eigenvalues (a two-voice clip: 0, 0, 0.14, 0.35, 0.35, ... picked 5, then undecisive).
    candidates = [
        k for k in range(max(lower, 2), upper + 1) if values[k - 1] <= DECISIVE_GAP * values[k]
    ]
    count = max(candidates, key=lambda k: values[k] - values[k - 1]) if candidates else 1
    rows = vectors[:, : max(upper, 1)]
    rows = rows / (np.linalg.norm(rows, axis=1, keepdims=True) + 1e-12)
    return rows, count


def centroids(
    embeddings: np.ndarray, weights: np.ndarray, labels: np.ndarray
) -> dict[int, np.ndarray]:
    """Duration-weighted, unit-length mean embedding of each cluster."""
    out = {}
    for label in np.unique(labels):
        mask = labels == label
        mean = (embeddings[mask] * weights[mask, None]).sum(axis=0)
        out[int(label)] = mean / (np.linalg.norm(mean) + 1e-12)
    return out


def merge_alike_clusters(
    embeddings: np.ndarray,
    weights: np.ndarray,
    labels: np.ndarray,
    similarity: float = SAME_VOICE_SIMILARITY,
) -> np.ndarray:
    """Merge the most alike pair of clusters while their centroids are `similarity` alike
    (SHORT_VOICE_SIMILARITY alike when either has under MIN_SPEAKER_SECONDS of speech)."""
    labels = np.asarray(labels).copy()
    while True:
        cents = centroids(embeddings, weights, labels)
        seconds = {key: float(weights[labels == key].sum()) for key in cents}
        keys = sorted(cents)
        best_margin, pair = 0.0, None
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                short = min(seconds[a], seconds[b]) < MIN_SPEAKER_SECONDS
                needed = min(similarity, SHORT_VOICE_SIMILARITY) if short else similarity
                margin = float(cents[a] @ cents[b]) - needed
                if margin >= best_margin:
                    best_margin, pair = margin, (a, b)
        if pair is None:
            return labels
        labels[labels == pair[1]] = pair[0]


def number_by_first_appearance(labels: list[int]) -> list[int]:
    """Relabel so the first window's speaker is 0, the next new one 1, ...: stable output."""
    order: dict[int, int] = {}
    return [order.setdefault(label, len(order)) for label in labels]
