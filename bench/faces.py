"""Face benchmark (on demand, not a test): python bench/faces.py [--repeat N] [--photos DIR]
[--insightface-pack DIR] [--cluster-sizes 10000,100000] [--dim N] [--cluster-repeat N]
[--backends] [--cluster] [--chain] [--quality]

Sections (default: all three; name some with their flags to run only those):

- ``--backends``: detection + embedding (``analyse_image``: the size and score cuts and the
  JPEG crop of each face included) per backend on the real photos of
  ../shared/corpus/faces (or ``--photos DIR``; *.jpg, *.jpeg, *.png, recursively), each
  opened, turned upright (EXIF), made RGB and reduced to a 1440 px preview before any clock
  starts: this measures analysis, not decoding. dlib (HOG) with ``upsample`` 0 and 1 (its
  main cost knob); insightface on CPU, and on CUDA where onnxruntime has the
  CUDAExecutionProvider (the provider used is printed). One warm-up image per backend,
  then the median of ``--repeat`` passes over every photo: seconds, photos/s, faces/s and
  faces found. insightface's pack is ``--insightface-pack DIR`` (e.g. a real buffalo_l
  folder); without it a stand-in pack is built in a temporary folder: the real SCRFD
  detector of the tests' fixtures and a TINY random recognizer with ArcFace's input and
  output shapes (AveragePool 8x8 -> MatMul to 512-d), so that figure measures the detector
  and the alignment, NOT w600k_r50 (a ResNet-50, far costlier per face).
- ``--cluster``: ``group_faces`` on synthetic unit-length embeddings (``--dim``, default
  128, dlib's) of ``--cluster-sizes`` faces: identities of 5..100 faces (about 50), each face
  a noisy copy of its identity's random centre (same-identity distances about 0.26, centres
  about 1.41 apart), plus 10% strangers (one face each). Seconds (one run per size by
  default: ``--cluster-repeat``), clusters, adjusted Rand index against the truth (strangers
  and unclustered faces each their own singleton) and peak RSS before/after, which shows the
  neighbour search is not n² in memory (100,000² float64 distances would be 80 GB). Then the
  incremental path: 1,000 new faces of existing identities against the clustered ones (share
  joined to the right person), and ``recognise`` of 10,000 faces (90% of trained people,
  10% of strangers) against 20,000 named ones (accuracy: the right person, or unknown for a
  stranger); medians of ``--repeat`` runs. ``--chain``: a worst case instead, people of 50
  faces on average whose centres lie on a random walk of ``CHAIN_STEP`` steps (each looks
  like the last), so the close-pair graph chains into big components, as look-alikes in a
  large real library may: time and the largest component's size.
- ``--quality``: with dlib (upsample 1, as the pipeline) on faces-lfw (the face nearest
  each photo's centre, labelled by its folder) and on the labelled corpus faces (labels.py):
  pair distances (same person / different people), each face's RMS distance to its own
  person (left out) and to the others, then for each algorithm tried — ``group_faces``
  (ours: average linkage over the sparse graph), DBSCAN (min_samples 1, 2, 3),
  agglomerative (single/average/complete, dense), dlib's Chinese whispers, HDBSCAN —
  adjusted Rand index / purity / people mixing identities at cuts 0.38 .. 0.50
  (unclustered faces count as singletons); the logistic fit behind recognition's
  certainty; then the 100,000-face clustering time and memory (``--cluster`` at 100,000).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from face_samples import FACES  # noqa: E402
from face_samples.labels import label as person_label  # noqa: E402
from face_samples.standins import preview, standin_pack  # noqa: E402
from media_pipeline.faces.cluster import DEFAULT_MAX_DISTANCE  # noqa: E402
from media_pipeline.faces.recognize import CALIBRATION  # noqa: E402

MAX_DISTANCE = DEFAULT_MAX_DISTANCE["dlib"]
SAME_DISTANCE = 0.26  # mean distance of two faces of one synthetic identity
THRESHOLDS = (0.38, 0.42, 0.44, 0.46, 0.48, 0.50)
CHAIN_STEP = 0.45  # distance between consecutive centres of the --chain population
LFW = FACES.parent / "faces-lfw"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def timed(repeat: int, once: Callable, *args) -> tuple[float, float, float, object]:
    """(median, fastest, slowest seconds, last result) of ``repeat`` calls ``once(*args)``."""
    seconds, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = once(*args)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), min(seconds), max(seconds), result


# --- photos and backends ------------------------------------------------------------------


def load_previews(root: Path) -> list[tuple[Path, object]]:
    """(path, upright RGB preview of at most 1440 px) of every photo under ``root``."""
    paths = sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in {".jpg", ".jpeg", ".png"}
    )
    return [(path, preview(path)) for path in paths]


def backend_variants(pack: Path | None) -> list[tuple[str, object]]:
    """(label, FaceSettings) of every backend to time."""
    import onnxruntime

    from media_pipeline.faces.detect import FaceSettings

    variants: list[tuple[str, object]] = [
        ("dlib hog upsample=0", FaceSettings(backend="dlib", upsample=0)),
        ("dlib hog upsample=1", FaceSettings(backend="dlib", upsample=1)),
    ]
    if pack is not None:
        name = pack.name
        insight = dict(backend="insightface", model_dir=str(pack), model_name=name)
        variants.append(("insightface cpu", FaceSettings(**insight, device="cpu")))
        if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
            variants.append(("insightface cuda", FaceSettings(**insight, device="cuda")))
    return variants


def providers_of(backend) -> str:
    """What runs the backend: onnxruntime's providers of each model, or dlib's build."""
    app = getattr(backend, "_app", None)
    if app is not None:
        return ", ".join(
            f"{kind}: {'+'.join(model.session.get_providers())}"
            for kind, model in app.models.items()
        )
    import dlib

    return f"dlib {dlib.__version__}, CUDA {'yes' if dlib.DLIB_USE_CUDA else 'no'}"


def bench_backends(previews, pack: Path | None, repeat: int) -> None:
    from media_pipeline.faces.backends import FaceBackendError
    from media_pipeline.faces.detect import analyse_image, load_backend

    pixels = sum(image.width * image.height for _, image in previews) / len(previews) / 1e6
    print(
        f"\n== backends: {len(previews)} photos, 1440 px previews ({pixels:.2f} MP average), "
        f"medians of {repeat} passes"
    )
    for label, settings in backend_variants(pack):
        try:
            backend = load_backend(settings)
        except FaceBackendError as error:
            print(f"{label}: cannot load ({error})")
            continue
        analyse_image(previews[0][1], backend, settings)  # warm-up

        def one_pass(backend=backend, settings=settings) -> int:
            return sum(len(analyse_image(image, backend, settings)[0]) for _, image in previews)

        median, fastest, slowest, faces = timed(repeat, one_pass)
        print(
            f"{label:22} {median:7.2f} s [{fastest:.2f}-{slowest:.2f}]  "
            f"{len(previews) / median:6.2f} photos/s  {faces / median:6.2f} faces/s  "
            f"{faces} faces  ({providers_of(backend)})"
        )


# --- synthetic embeddings -----------------------------------------------------------------


def noise_scale(dim: int) -> float:
    """σ of the Gaussian noise per coordinate such that two faces normalise(c + σg) of one
    unit centre c lie SAME_DISTANCE apart on average: |f1 - f2|² ≈ 2σ²dim / (1 + σ²dim)."""
    half = SAME_DISTANCE**2 / 2
    return (half / (1 - half) / dim) ** 0.5


def unit_rows(x):
    import numpy as np

    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def faces_of(centres, identities, rng):
    """One noisy face of ``centres[identity]`` per entry of ``identities``."""
    dim = centres.shape[1]
    noise = rng.standard_normal((len(identities), dim), dtype="float32") * noise_scale(dim)
    return unit_rows(centres[identities] + noise)


def population(count: int, dim: int, rng):
    """(faces, identity per face with -1 for strangers, centres): identities of 5..100
    faces until 90% of ``count``, then 10% strangers; shuffled."""
    import numpy as np

    strangers = count // 10
    sizes = []
    while sum(sizes) < count - strangers:
        sizes.append(int(rng.integers(5, 101)))
    sizes[-1] -= sum(sizes) - (count - strangers)
    centres = unit_rows(rng.standard_normal((len(sizes), dim)))
    identities = np.repeat(np.arange(len(sizes)), sizes)
    faces = np.concatenate([
        faces_of(centres, identities, rng),
        unit_rows(rng.standard_normal((strangers, dim))),
    ])  # fmt: skip
    truth = np.concatenate([identities, np.full(strangers, -1)])
    order = rng.permutation(count)
    return faces[order], truth[order], centres


def singletons(labels):
    """Labels with every -1 replaced by a label of its own."""
    import numpy as np

    labels = np.array(labels, dtype=np.int64)
    lonely = labels < 0
    labels[lonely] = labels.max(initial=0) + 1 + np.arange(int(lonely.sum()))
    return labels


def mean_same_distance(faces, truth, rng, pairs: int = 20000) -> float:
    import numpy as np

    known = np.flatnonzero(truth >= 0)
    by_identity = {}
    for row in known:
        by_identity.setdefault(int(truth[row]), []).append(row)
    groups = [rows for rows in by_identity.values() if len(rows) > 1]
    picks = [rng.choice(groups[int(rng.integers(len(groups)))], 2, replace=False)
             for _ in range(pairs)]  # fmt: skip
    a, b = np.array(picks).T
    return float(np.linalg.norm(faces[a] - faces[b], axis=1).mean())


def bench_cluster(sizes: list[int], dim: int, repeat: int, cluster_repeat: int) -> None:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from media_pipeline.faces.cluster import group_faces

    print(
        f"\n== clustering: group_faces, synthetic {dim}-d faces, max_distance {MAX_DISTANCE}, "
        f"min_faces 3, {os.cpu_count()} cores"
    )
    for count in sizes:
        rng = np.random.default_rng(count)
        faces, truth, centres = population(count, dim, rng)
        identities = len(centres)
        centre_distances = np.linalg.norm(centres[:200, None] - centres[None, :200], axis=2)
        nearest_centres = float(centre_distances[np.triu_indices(min(200, identities), 1)].min())
        print(
            f"\n{count} faces: {identities} identities, {int((truth < 0).sum())} strangers; "
            f"same-identity distance {mean_same_distance(faces, truth, rng):.3f} mean, nearest "
            f"centres (of 200) {nearest_centres:.3f}; data {faces.nbytes / 2**20:.0f} MB"
        )
        empty, no_people = np.zeros((0, dim), np.float32), np.zeros(0, np.int64)
        before = peak_rss_mb()
        median, fastest, slowest, grouping = timed(
            cluster_repeat, group_faces, empty, no_people, faces, MAX_DISTANCE, 3
        )
        after = peak_rss_mb()
        predicted = np.full(count, -1, dtype=np.int64)
        for person, members in enumerate(grouping.clusters):
            predicted[members] = person
        ari = adjusted_rand_score(singletons(truth), singletons(predicted))
        print(
            f"cluster {count} faces: {median:8.2f} s [{fastest:.2f}-{slowest:.2f}, "
            f"{cluster_repeat} run(s)]  {len(grouping.clusters)} clusters, "
            f"{int((predicted < 0).sum())} unclustered  ARI {ari:.4f}  "
            f"peak RSS {before:.0f} -> {after:.0f} MB"
        )

        # Incremental: new faces of existing identities join the clustered people.
        clustered = np.flatnonzero(predicted >= 0)
        known, known_people = faces[clustered], predicted[clustered]
        majority = {}  # identity -> the cluster holding most of its faces
        for identity, person in zip(truth[clustered], known_people, strict=True):
            if identity >= 0:
                majority.setdefault(int(identity), []).append(int(person))
        majority = {i: max(set(ps), key=ps.count) for i, ps in majority.items()}
        new_identities = rng.choice(np.array(sorted(majority)), 1000)
        new = faces_of(centres, new_identities, rng)
        before = peak_rss_mb()
        median, fastest, slowest, grouping = timed(
            repeat, group_faces, known, known_people, new, MAX_DISTANCE, 3
        )
        after = peak_rss_mb()
        right = sum(
            grouping.joined.get(row) == majority[int(identity)]
            for row, identity in enumerate(new_identities)
        )
        print(
            f"incremental 1000 new vs {len(known)} known: {median:6.2f} s "
            f"[{fastest:.2f}-{slowest:.2f}]  joined {len(grouping.joined) / 10:.1f}%, "
            f"to the right person {right / 10:.1f}%, new clusters {len(grouping.clusters)}  "
            f"peak RSS {before:.0f} -> {after:.0f} MB"
        )
    bench_recognise(dim, repeat)


def chained_population(count: int, dim: int, rng):
    """(faces, identity per face): ``count // 50`` people whose centres lie on a random walk
    over the sphere, CHAIN_STEP apart, so that neighbours on the walk look alike."""
    import numpy as np

    centres = [unit_rows(rng.standard_normal((1, dim)))[0]]
    for _ in range(count // 50 - 1):
        turn = rng.standard_normal(dim).astype(np.float32)
        turn -= (turn @ centres[-1]) * centres[-1]
        step = centres[-1] + CHAIN_STEP * turn / np.linalg.norm(turn)
        centres.append(step / np.linalg.norm(step))
    identities = rng.integers(0, len(centres), count)
    return faces_of(np.array(centres, dtype=np.float32), identities, rng), identities


def bench_chain(sizes: list[int], dim: int) -> None:
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.metrics import adjusted_rand_score

    from media_pipeline.faces.cluster import average_linkage, close_pairs

    print(f"\n== chained people: average_linkage at {MAX_DISTANCE}, {os.cpu_count()} cores")
    for count in sizes:
        faces, truth = chained_population(count, dim, np.random.default_rng(count))
        i, j = close_pairs(faces, MAX_DISTANCE)
        graph = coo_matrix((np.ones(len(i), np.int8), (i, j)), shape=(count, count))
        largest = np.bincount(connected_components(graph, directed=False)[1]).max()
        del i, j, graph
        before = peak_rss_mb()
        median, _, _, labels = timed(1, average_linkage, faces, MAX_DISTANCE)
        print(
            f"chained {count} faces ({int(truth.max()) + 1} people, largest component "
            f"{largest}): {median:.2f} s  {len(set(labels.tolist()))} groups, ARI "
            f"{adjusted_rand_score(truth, labels):.4f}  peak RSS {before:.0f} -> "
            f"{peak_rss_mb():.0f} MB"
        )


def bench_recognise(dim: int, repeat: int) -> None:
    """recognise: 10,000 faces (90% of the 20,000 named faces' people, 10% strangers)."""
    import numpy as np

    from media_pipeline.faces.recognize import recognise

    rng = np.random.default_rng(7)
    training, people, centres = population(22222, dim, rng)  # 20,000 faces of people
    named = people >= 0
    training, people = training[named], people[named]
    candidates = rng.choice(len(centres), 9000)
    faces = np.concatenate([
        faces_of(centres, candidates, rng),
        unit_rows(rng.standard_normal((1000, dim))),
    ])  # fmt: skip
    truth = np.concatenate([candidates, np.full(1000, -1)])
    before = peak_rss_mb()
    median, fastest, slowest, results = timed(
        repeat, recognise, training, people, faces, CALIBRATION["dlib"], 0.6
    )
    after = peak_rss_mb()
    got = np.array([-1 if r.person_id is None else r.person_id for r in results])
    correct = got == truth
    print(
        f"\nrecognise {len(faces)} faces vs {len(training)} named ({len(centres)} people): "
        f"{median:6.2f} s [{fastest:.2f}-{slowest:.2f}]  accuracy {correct.mean():.2%} "
        f"(named {correct[truth >= 0].mean():.2%}, strangers left unknown "
        f"{correct[truth < 0].mean():.2%})  peak RSS {before:.0f} -> {after:.0f} MB"
    )


# --- quality ---------------------------------------------------------------------------


def label_of(path: Path, box, width: int) -> str | None:
    """Who the face is (face_samples/labels.py), None for unlabelled photos."""
    try:
        return person_label(path, (box[0] + box[2]) / 2 / width)
    except KeyError:
        return None


def corpus_faces(previews) -> tuple[list, list[str]]:
    """Labelled dlib faces of ../shared/corpus/faces (labels.py)."""
    from media_pipeline.faces.detect import FaceSettings, analyse_image, load_backend

    settings = FaceSettings(backend="dlib")
    backend = load_backend(settings)
    embeddings, labels = [], []
    for path, image in previews:
        for face in analyse_image(image, backend, settings)[0]:
            label = label_of(path, face.box, image.width)
            if label is not None:
                embeddings.append(face.embedding)
                labels.append(label)
    return embeddings, labels


def lfw_faces() -> tuple[list, list[str]]:
    """The dlib face nearest the centre of each faces-lfw photo, labelled by its folder."""
    from media_pipeline.faces.detect import FaceSettings, analyse_image, load_backend

    settings = FaceSettings(backend="dlib")
    backend = load_backend(settings)
    embeddings, labels = [], []
    for path in sorted(LFW.glob("*/*.jpg")):
        image = preview(path)
        faces = analyse_image(image, backend, settings)[0]
        if not faces:
            print(f"  no face found in {path.name}")
            continue
        nearest = min(faces, key=lambda f: ((f.box[0] + f.box[2]) / 2 - image.width / 2) ** 2
                      + ((f.box[1] + f.box[3]) / 2 - image.height / 2) ** 2)  # fmt: skip
        embeddings.append(nearest.embedding)
        labels.append(path.parent.name)
    return embeddings, labels


def purity_and_mixed(truth, predicted) -> tuple[float, int]:
    """(share of faces in a cluster whose majority is their identity, clusters of >1
    identity); unclustered faces (-1) count as pure singletons."""
    import numpy as np

    pure, mixed = 0, 0
    for cluster in set(predicted.tolist()) - {-1}:
        members = truth[predicted == cluster]
        pure += np.bincount(members).max()
        mixed += len(set(members.tolist())) > 1
    return (pure + int((predicted == -1).sum())) / len(truth), mixed


def distance_report(x, truth) -> None:
    """Pair distances and each face's RMS distance to its own person (left out) and to the
    others: where the cut and the recognition curve come from."""
    import numpy as np

    distances = np.linalg.norm(x[:, None] - x[None, :], axis=2)
    same = truth[:, None] == truth[None, :]
    upper = np.triu(np.ones_like(same), 1)
    s, d = distances[same & upper], distances[~same & upper]
    print(
        f"pairs, same person: max {s.max():.3f}, 99th percentile {np.percentile(s, 99):.3f}, "
        f"median {np.median(s):.3f}; different people: min {d.min():.3f}, 1st percentile "
        f"{np.percentile(d, 1):.3f}, median {np.median(d):.3f}"
    )
    own, other = person_distances(x, truth)
    print(
        f"face to a person as a whole (RMS, the face left out): own max {own.max():.3f} "
        f"(95th percentile {np.percentile(own, 95):.3f}), other people min {other.min():.3f} "
        f"(5th percentile {np.percentile(other, 5):.3f})"
    )


def person_distances(x, truth):
    import numpy as np

    own, other = [], []
    for row in range(len(x)):
        for person in set(truth.tolist()):
            members = truth == person
            members[row] = False
            if members.sum() >= 2:
                distance = np.sqrt(max(0.0, 2 - 2 * float(x[row] @ x[members].mean(0))))
                (own if truth[row] == person else other).append(distance)
    return np.array(own), np.array(other)


def quality_table(name: str, x, truth) -> None:
    import dlib
    import numpy as np
    from sklearn.cluster import DBSCAN, HDBSCAN, AgglomerativeClustering
    from sklearn.metrics import adjusted_rand_score

    from media_pipeline.faces.cluster import group_faces

    def ours(cut: float):
        grouping = group_faces(np.zeros((0, x.shape[1]), np.float32), np.zeros(0, np.int64), x,
                               max_distance=cut, min_faces=1)  # fmt: skip
        predicted = np.full(len(x), -1)
        for person, members in enumerate(grouping.clusters):
            predicted[members] = person
        return predicted

    vectors = [dlib.vector(row.astype(float).tolist()) for row in x]
    methods: dict[str, Callable[[float], object]] = {
        "group_faces (ours)": ours,
        **{
            f"DBSCAN min_samples={n}": (
                lambda cut, n=n: DBSCAN(eps=cut, min_samples=n).fit_predict(x)
            )
            for n in (1, 2, 3)
        },
        **{
            f"agglomerative {linkage}": (
                lambda cut, linkage=linkage: AgglomerativeClustering(
                    n_clusters=None, distance_threshold=cut, linkage=linkage
                ).fit_predict(x)
            )
            for linkage in ("single", "average", "complete")
        },
        "chinese whispers": lambda cut: np.array(dlib.chinese_whispers_clustering(vectors, cut)),
        # No cut: scikit-learn 1.9's cluster_selection_epsilon fails on these inputs.
        "HDBSCAN min_cluster=3 (no cut)": lambda cut: HDBSCAN(
            min_cluster_size=3, copy=True
        ).fit_predict(x),
    }
    print(f"\n{name}: adjusted Rand index / purity / mixed people, by cut")
    print(f"{'':30}" + "".join(f"{cut:>17.2f}" for cut in THRESHOLDS))
    for label, method in methods.items():
        cells = []
        for cut in THRESHOLDS:
            predicted = np.asarray(method(cut))
            ari = adjusted_rand_score(truth, singletons(predicted))
            purity, mixed = purity_and_mixed(truth, predicted)
            cells.append(f"{ari:6.3f}/{purity:5.3f}/{mixed:<3d}")
        print(f"{label:30}" + "".join(f"{cell:>17}" for cell in cells))


def calibration_fit(x_sets) -> None:
    """The recognition curve: logistic regression of "own person" on the RMS distance."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    own, other = zip(*(person_distances(x, truth) for x, truth in x_sets), strict=True)
    own, other = np.concatenate(own), np.concatenate(other)
    distances = np.concatenate([own, other])[:, None]
    target = np.r_[np.ones(len(own)), np.zeros(len(other))]
    fit = LogisticRegression(C=1e4, class_weight="balanced").fit(distances, target)
    slope, intercept = fit.coef_[0, 0], fit.intercept_[0]
    print(
        f"\nrecognition curve (both corpora, {len(own)} own / {len(other)} other distances, "
        f"equal weight): certainty 0.5 at {-intercept / slope:.4f}, scale {-1 / slope:.4f} "
        f"(recognize.py uses {CALIBRATION['dlib']})"
    )


def bench_quality(previews) -> None:
    import numpy as np

    print("\n== quality: dlib hog upsample=1 (as the pipeline), unit-length embeddings")
    sets = []
    for name, (embeddings, labels) in (
        ("faces-lfw (centre faces)", lfw_faces()),
        ("corpus/faces (labels.py)", corpus_faces(previews)),
    ):
        if len(set(labels)) < 2:
            print(f"{name}: too few labelled faces, skipped")
            continue
        x = np.stack(embeddings).astype(np.float64)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        truth = np.unique(labels, return_inverse=True)[1]
        print(f"\n{name}: {len(x)} faces of {len(set(labels))} people")
        distance_report(x, truth)
        quality_table(name, x, truth)
        sets.append((x, truth))
    calibration_fit(sets)
    print(f"(group_faces' default for dlib is {MAX_DISTANCE}; unclustered faces count as one each)")


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure (median)")
    parser.add_argument("--photos", type=Path, default=FACES, help="photo folder (recursive)")
    parser.add_argument("--insightface-pack", type=Path, help="insightface model folder")
    parser.add_argument("--cluster-sizes", default="10000,100000", help="synthetic face counts")
    parser.add_argument("--dim", type=int, default=128, help="synthetic embedding size")
    parser.add_argument("--cluster-repeat", type=int, default=1, help="runs per cluster size")
    parser.add_argument("--backends", action="store_true", help="time the face backends")
    parser.add_argument("--cluster", action="store_true", help="time clustering, recognition")
    parser.add_argument("--chain", action="store_true", help="time clustering of chained people")
    parser.add_argument("--quality", action="store_true", help="clustering quality on the corpus")
    args = parser.parse_args()
    repeat = max(args.repeat, 1)
    everything = not (args.backends or args.cluster or args.chain or args.quality)
    # insightface's alignment calls a scikit-image API that warns on every face.
    warnings.filterwarnings("ignore", category=FutureWarning, module="insightface")

    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f}: something else is running, timings suffer")
    import numpy as np
    import onnxruntime
    import sklearn

    print(
        f"{os.cpu_count()} cores; numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
        f"onnxruntime {onnxruntime.__version__} "
        f"({', '.join(onnxruntime.get_available_providers())})"
    )
    previews = None
    if everything or args.backends or args.quality:
        previews = load_previews(args.photos)
        if not previews:
            raise SystemExit(f"no photos under {args.photos}")
    if everything or args.backends:
        with tempfile.TemporaryDirectory(prefix="mp-bench-faces-") as tmp:
            pack = args.insightface_pack
            if pack is None:
                pack = standin_pack(Path(tmp) / "standin")
                print(
                    "insightface: no --insightface-pack, so a STAND-IN pack: the real SCRFD "
                    "detector and a tiny random recognizer (AveragePool + MatMul, 512-d); its "
                    "figure measures detection + alignment, not w600k_r50"
                )
            bench_backends(previews, pack, repeat)
    if everything or args.cluster:
        sizes = [int(size) for size in args.cluster_sizes.split(",") if size]
        bench_cluster(sizes, args.dim, repeat, max(args.cluster_repeat, 1))
    if args.chain:
        bench_chain([int(size) for size in args.cluster_sizes.split(",") if size], args.dim)
    if everything or args.quality:
        bench_quality(previews)
        if not (everything or args.cluster):  # the 100,000-face time and memory with it
            bench_cluster([100_000], args.dim, repeat, max(args.cluster_repeat, 1))


if __name__ == "__main__":
    main()
