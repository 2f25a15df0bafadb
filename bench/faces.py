"""Face benchmark (on demand, not a test): python bench/faces.py [--repeat N] [--photos DIR]
[--insightface-pack DIR] [--cluster-sizes 10000,100000] [--dim N] [--cluster-repeat N]
[--backends] [--cluster] [--quality]

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
  stranger); medians of ``--repeat`` runs.
- ``--quality``: on the labelled corpus faces with dlib (upsample 1, as the pipeline), the
  adjusted Rand index of ``group_faces`` (min_faces 1) and, for comparison, DBSCAN
  (min_samples 1 and 2), agglomerative clustering (single/average/complete linkage with a
  distance threshold) and dlib's Chinese whispers, at cuts 0.35 .. 0.55; plus the largest
  same-person and the smallest different-person distance. Labels: a photo's folder under
  knn_examples/train, a table of the other files, and for group photos the face's centre
  across the image's width.
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

from media_pipeline.faces.cluster import DEFAULT_MAX_DISTANCE  # noqa: E402
from media_pipeline_tests.corpus import FACES  # noqa: E402
from media_pipeline_tests.faces.labels import label as person_label  # noqa: E402
from media_pipeline_tests.faces.standins import preview, standin_pack  # noqa: E402

MAX_DISTANCE = DEFAULT_MAX_DISTANCE["dlib"]
SAME_DISTANCE = 0.26  # mean distance of two faces of one synthetic identity
THRESHOLDS = (0.35, 0.40, 0.42, 0.45, 0.50, 0.55)


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
        repeat, recognise, training, people, faces, MAX_DISTANCE, 0.6
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


# --- quality ------------------------------------------------------------------------------


def label_of(path: Path, box, width: int) -> str | None:
    """Who the face is (media_pipeline_tests/faces/labels.py), None for unlabelled photos."""
    try:
        return person_label(path, (box[0] + box[2]) / 2 / width)
    except KeyError:
        return None


def bench_quality(previews) -> None:
    import dlib
    import numpy as np
    from sklearn.cluster import DBSCAN, AgglomerativeClustering
    from sklearn.metrics import adjusted_rand_score

    from media_pipeline.faces.cluster import group_faces
    from media_pipeline.faces.detect import FaceSettings, analyse_image, load_backend

    settings = FaceSettings(backend="dlib")
    backend = load_backend(settings)
    embeddings, labels, unlabelled = [], [], []
    for path, image in previews:
        for face in analyse_image(image, backend, settings)[0]:
            label = label_of(path, face.box, image.width)
            if label is None:
                unlabelled.append(path.name)
                continue
            embeddings.append(face.embedding)
            labels.append(label)
    print(
        f"\n== quality: dlib hog upsample={settings.upsample}, {len(labels)} labelled faces "
        f"of {len(set(labels))} people"
        + (f" ({len(unlabelled)} unlabelled skipped: {sorted(set(unlabelled))})" if unlabelled
           else "")
    )  # fmt: skip
    if len(set(labels)) < 2:
        print("too few labelled faces: skipped")
        return
    x = np.stack(embeddings)
    truth = np.unique(labels, return_inverse=True)[1]
    distances = np.linalg.norm(x[:, None] - x[None, :], axis=2)
    same = truth[:, None] == truth[None, :]
    upper = np.triu(np.ones_like(same), 1)
    print(
        f"same person: max distance {distances[same & upper].max():.3f}; "
        f"different people: min distance {distances[~same & upper].min():.3f}"
    )
    print("per person: " + ", ".join(f"{n} {labels.count(n)}" for n in sorted(set(labels))))

    def ours(cut: float):
        grouping = group_faces(np.zeros((0, x.shape[1]), np.float32), np.zeros(0, np.int64), x,
                               max_distance=cut, min_faces=1)  # fmt: skip
        predicted = np.full(len(x), -1)
        for person, members in enumerate(grouping.clusters):
            predicted[members] = person
        return predicted

    vectors = [dlib.vector(row.astype(float).tolist()) for row in x]
    methods: dict[str, Callable[[float], object]] = {
        "group_faces min_faces=1": ours,
        "DBSCAN min_samples=1": lambda cut: DBSCAN(eps=cut, min_samples=1).fit_predict(x),
        "DBSCAN min_samples=2": lambda cut: DBSCAN(eps=cut, min_samples=2).fit_predict(x),
        **{
            f"agglomerative {linkage}": (
                lambda cut, linkage=linkage: AgglomerativeClustering(
                    n_clusters=None, distance_threshold=cut, linkage=linkage
                ).fit_predict(x)
            )
            for linkage in ("single", "average", "complete")
        },
        "chinese whispers": lambda cut: dlib.chinese_whispers_clustering(vectors, cut),
    }
    print(f"{'adjusted Rand index':26}" + "".join(f"{cut:>7.2f}" for cut in THRESHOLDS))
    for name, method in methods.items():
        scores = [adjusted_rand_score(truth, singletons(method(cut))) for cut in THRESHOLDS]
        print(f"{name:26}" + "".join(f"{score:7.3f}" for score in scores))
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
    parser.add_argument("--quality", action="store_true", help="clustering quality on the corpus")
    args = parser.parse_args()
    repeat = max(args.repeat, 1)
    everything = not (args.backends or args.cluster or args.quality)
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
    if everything or args.quality:
        bench_quality(previews)


if __name__ == "__main__":
    main()
