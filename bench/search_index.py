"""Vector search benchmark (on demand, not a test): python bench/search_index.py
[--sizes 10000,100000] [--dim 512] [--intrinsic-dim R] [--queries 100] [--limit 20]
[--repeat 3] [--database-url postgresql://postgres@127.0.0.1:5432/bench_pgvector] [--no-pgvector]
[--storage both|plain|default] [--batch 10000] [--maintenance-work-mem 1GB]
[--ef-search 40,100]

Top-``--limit`` cosine search over N random L2-normalised float32 vectors of ``--dim``
dimensions (CLIP-sized by default), for each N in ``--sizes`` (1000000 on demand: about 2 GB
in numpy, as much again in PostgreSQL, and an HNSW build that takes a long while), with
``--queries`` random unit query vectors (``--intrinsic-dim R``: data and queries near one
R-dimensional subspace instead, closer to real embeddings, whose neighbours are well
defined). Latencies are per query, as a caller sees them (for PostgreSQL: a round trip over
the connection, planning included), pooled over ``--repeat`` passes over the queries after
a few warm-up queries; median and p95. Compared:

- numpy exact: the project's own ``SearchIndex`` (``media_pipeline/clip/index.py``): build
  time (median of ``--repeat`` builds), query latency, memory of the matrix;
- pgvector exact: ``ORDER BY embedding <=> q LIMIT k`` on a table with no index (a
  sequential scan, parallel where the planner picks it); rows loaded with binary COPY in
  batches (load time, table size). ``--storage both`` (the default) measures it twice:
  with the column's default storage, which moves a vector of more than about 2 kB (about
  500 dimensions and more) out of line into TOAST, and with ``SET STORAGE PLAIN``, which
  keeps it in the row (up to about 2000 dimensions);
- pgvector HNSW: ``CREATE INDEX ... USING hnsw (embedding vector_cosine_ops)`` with the
  default m (16) and ef_construction (64) on the last table loaded (build time once, index
  size), queried with each ``hnsw.ef_search`` of ``--ef-search`` (40 is pgvector's default)
  and ``enable_seqscan`` off, so that a small table uses the index too.

Recall@k is the share of numpy's exact top k that a method returns (averaged over the
queries); pgvector exact should give 1.000. Isotropic random vectors (the default) are the
worst case for a graph index: in 512 dimensions a random query's top 20 are hardly nearer
than thousands of others, so HNSW's recall there is far below what real CLIP embeddings
(of low intrinsic dimension) get; ``--intrinsic-dim 32`` shows the other side.

The pgvector parts need the ``vector`` extension in the database of ``--database-url`` (the
script runs ``CREATE EXTENSION IF NOT EXISTS vector``), psycopg2 and the ``pgvector``
Python package; without them they are skipped with a message. The script creates its table
(``bench_search_index``) and drops it at the end; it never drops the database. The HNSW
build runs with ``maintenance_work_mem`` set to ``--maintenance-work-mem`` for its session
(the server's default, often 64MB, is too small for the graph and slows the build a lot).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TABLE = "bench_search_index"
WARM_UP = 10
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_pgvector"


def unit_vectors(count: int, dim: int, seed: int, intrinsic: int = 0) -> np.ndarray:
    """``count`` random unit vectors: isotropic, or (``intrinsic`` > 0) a Gaussian in a fixed
    ``intrinsic``-dimensional subspace plus isotropic noise of about a tenth of its norm."""
    rng = np.random.default_rng(seed)
    vectors = np.empty((count, dim), dtype=np.float32)
    basis = None
    if intrinsic:
        basis = np.random.default_rng(0).standard_normal((intrinsic, dim), dtype=np.float32)
        basis = np.linalg.qr(basis.T)[0].T  # orthonormal rows, the same for data and queries
    for start in range(0, count, 100_000):  # in chunks: 10^6 x 512 temporaries add up
        rows = min(100_000, count - start)
        chunk = rng.standard_normal((rows, dim), dtype=np.float32)
        if basis is not None:
            latent = rng.standard_normal((rows, intrinsic), dtype=np.float32)
            chunk = latent @ basis / np.sqrt(intrinsic) + chunk * (0.1 / np.sqrt(dim))
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        vectors[start : start + rows] = chunk
    return vectors


def latencies(queries: np.ndarray, repeat: int, once: Callable[[np.ndarray], list]) -> tuple:
    """(per-query seconds of ``repeat`` passes after a few warm-up queries, results of the
    last pass)."""
    results = [once(q) for q in queries[:WARM_UP]]  # caches, plans, BLAS threads
    seconds = []
    for _ in range(repeat):
        results = []
        for query in queries:
            started = time.perf_counter()
            results.append(once(query))
            seconds.append(time.perf_counter() - started)
    return seconds, results


def recall(found: Sequence[Sequence[int]], exact: Sequence[Sequence[int]]) -> float:
    hits = [len(set(f) & set(e)) / len(e) for f, e in zip(found, exact, strict=True)]
    return statistics.fmean(hits)


def report(label: str, seconds: list[float], found=None, exact=None, extra: str = "") -> None:
    ms = np.asarray(seconds) * 1000
    median, p95 = float(np.median(ms)), float(np.percentile(ms, 95))
    line = f"  {label:34}median {median:8.2f} ms  p95 {p95:8.2f} ms"
    if found is not None:
        line += f"  recall@k {recall(found, exact):.3f}"
    print(line + (f"  {extra}" if extra else ""))


def size_text(nbytes: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if nbytes < 1024 or unit == "GB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    raise AssertionError


def bench_numpy(vectors: np.ndarray, queries: np.ndarray, limit: int, repeat: int) -> list:
    """numpy exact through SearchIndex; returns its top-k keys per query (the reference)."""
    from media_pipeline.clip.index import SearchIndex

    keys = list(range(len(vectors)))
    builds = []
    for _ in range(repeat):
        started = time.perf_counter()
        index = SearchIndex.build(keys, vectors, model_name="random")
        builds.append(time.perf_counter() - started)
    print(
        f"  numpy build (SearchIndex.build):  {statistics.median(builds):8.3f} s "
        f"[{min(builds):.3f}-{max(builds):.3f}], matrix {size_text(index.vectors.nbytes)}"
    )
    seconds, results = latencies(
        queries, repeat, lambda q: [key for key, _ in index.search(q, limit)]
    )
    report("numpy exact (SearchIndex.search)", seconds)
    return results


def copy_rows(cursor, vectors: np.ndarray, start: int) -> None:
    """One binary COPY of ``vectors`` as rows (id, embedding), ids from ``start``."""
    count, dim = vectors.shape
    row = np.dtype(
        [
            ("fields", ">i2"),
            ("id_len", ">i4"),
            ("id", ">i8"),
            ("vec_len", ">i4"),
            ("dim", ">i2"),
            ("unused", ">i2"),
            ("values", ">f4", (dim,)),
        ]
    )
    rows = np.zeros(count, dtype=row)
    rows["fields"], rows["id_len"], rows["vec_len"], rows["dim"] = 2, 8, 4 + 4 * dim, dim
    rows["id"] = np.arange(start, start + count)
    rows["values"] = vectors
    header = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
    data = io.BytesIO(header + rows.tobytes() + (-1).to_bytes(2, "big", signed=True))
    cursor.copy_expert(f"COPY {TABLE} (id, embedding) FROM STDIN WITH (FORMAT binary)", data)


def connect_pgvector(url: str):
    """A connection with the vector type registered, or None (and why, printed)."""
    try:
        import psycopg2
        from pgvector.psycopg2 import register_vector
    except ImportError as error:
        print(f"pgvector parts skipped: {error.name} is not installed (pip install pgvector)")
        return None
    try:
        conn = psycopg2.connect(url)
    except psycopg2.Error as error:
        print(f"pgvector parts skipped: cannot connect to {url}: {str(error).strip()}")
        return None
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if cursor.fetchone() is None:
            print("pgvector parts skipped: the server has no 'vector' extension (pgvector)")
            conn.close()
            return None
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg2.Error as error:
            print(f"pgvector parts skipped: CREATE EXTENSION vector failed: {error}".strip())
            conn.close()
            return None
    register_vector(conn)
    return conn


def load_table(cursor, vectors: np.ndarray, batch: int, storage: str) -> None:
    """(Re)create the table with ``storage`` for its vector column and COPY ``vectors`` in."""
    count, dim = vectors.shape
    cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    cursor.execute(f"CREATE TABLE {TABLE} (id bigint PRIMARY KEY, embedding vector({dim}))")
    if storage == "plain":
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN embedding SET STORAGE PLAIN")
    started = time.perf_counter()
    for start in range(0, count, batch):
        copy_rows(cursor, vectors[start : start + batch], start)
    cursor.execute(f"VACUUM ANALYZE {TABLE}")
    load = time.perf_counter() - started
    cursor.execute(
        "SELECT pg_total_relation_size(oid), pg_relation_size(reltoastrelid) "
        "FROM pg_class WHERE relname = %s",
        (TABLE,),
    )
    total, toast = cursor.fetchone()
    print(
        f"  pgvector load, {storage + ' storage:':24}{load:8.3f} s ({count / load:,.0f} rows/s, "
        f"COPY binary in batches of {batch}, VACUUM ANALYZE included), "
        f"table {size_text(total)} (TOAST {size_text(toast)})"
    )


def plan_of(cursor, sql: str, query: np.ndarray, limit: int) -> str:
    cursor.execute("EXPLAIN (COSTS OFF) " + sql, (query, limit))
    plan = " / ".join(line.strip().removeprefix("->  ") for (line,) in cursor.fetchall())
    return re.sub(r"'\[[^\]]*\]'::vector", "$1", plan)


def bench_pgvector(
    conn, vectors: np.ndarray, queries: np.ndarray, exact: list, args: argparse.Namespace
) -> None:
    limit, repeat = args.limit, args.repeat
    sql = f"SELECT id FROM {TABLE} ORDER BY embedding <=> %s LIMIT %s"
    cursor = conn.cursor()

    def search(query: np.ndarray) -> list[int]:
        cursor.execute(sql, (query, limit))
        return [row[0] for row in cursor.fetchall()]

    storages = ["default", "plain"] if args.storage == "both" else [args.storage]
    try:
        for storage in storages:  # the HNSW index goes on the last one
            load_table(cursor, vectors, args.batch, storage)
            plan = plan_of(cursor, sql, queries[0], limit)
            seconds, found = latencies(queries, repeat, search)
            report(f"pgvector exact, {storage} storage", seconds, found, exact)
            print(f"    plan: {plan}")

        cursor.execute("SET maintenance_work_mem = %s", (args.maintenance_work_mem,))
        cursor.execute("SHOW max_parallel_maintenance_workers")
        workers = cursor.fetchone()[0]
        started = time.perf_counter()
        cursor.execute(
            f"CREATE INDEX {TABLE}_hnsw ON {TABLE} USING hnsw (embedding vector_cosine_ops)"
        )
        build = time.perf_counter() - started
        cursor.execute("SELECT pg_relation_size(%s)", (f"{TABLE}_hnsw",))
        index_size = cursor.fetchone()[0]
        print(
            f"  pgvector HNSW build:              {build:8.3f} s (m 16, ef_construction 64, "
            f"maintenance_work_mem {args.maintenance_work_mem}, up to {workers} parallel "
            f"workers), index {size_text(index_size)}"
        )
        cursor.execute("SET enable_seqscan = off")
        plan = plan_of(cursor, sql, queries[0], limit)
        for ef_search in args.ef_search:
            cursor.execute(f"SET hnsw.ef_search = {int(ef_search)}")
            seconds, found = latencies(queries, repeat, search)
            report(f"pgvector HNSW, ef_search {ef_search}", seconds, found, exact)
        print(f"    plan: {plan}")
        cursor.execute("RESET hnsw.ef_search")
        cursor.execute("RESET maintenance_work_mem")
        cursor.execute("RESET enable_seqscan")
    finally:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="vector counts, comma-separated")
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--limit", type=int, default=20, help="top k")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the queries")
    parser.add_argument(
        "--intrinsic-dim",
        type=int,
        default=0,
        help="0: isotropic random vectors; R: vectors near an R-dimensional subspace",
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--no-pgvector", action="store_true", help="numpy only")
    parser.add_argument("--batch", type=int, default=10000, help="rows per COPY")
    parser.add_argument("--maintenance-work-mem", default="1GB", help="for the HNSW build")
    parser.add_argument(
        "--storage",
        choices=["both", "plain", "default"],
        default="both",
        help="vector column storage for the exact scan (HNSW goes on the last: plain)",
    )
    parser.add_argument("--ef-search", default="40,100", help="hnsw.ef_search values")
    args = parser.parse_args()
    args.repeat = max(1, args.repeat)
    args.ef_search = [int(value) for value in args.ef_search.split(",")]
    sizes = [int(size) for size in args.sizes.split(",")]

    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f}: something else is running, timings suffer")
    print(
        f"numpy {np.__version__}, {os.cpu_count()} cores; dim {args.dim}, "
        f"{f'data of intrinsic dimension {args.intrinsic_dim}, ' if args.intrinsic_dim else ''}"
        f"{args.queries} random queries, "
        f"top {args.limit}, {args.repeat} passes "
        f"({WARM_UP} warm-up queries first)"
    )
    conn = None if args.no_pgvector else connect_pgvector(args.database_url)
    if args.no_pgvector:
        print("pgvector parts skipped: --no-pgvector")
    if conn is not None:
        with conn.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            version = cursor.fetchone()[0]
            cursor.execute("SHOW server_version")
            print(f"PostgreSQL {cursor.fetchone()[0]}, pgvector {version}")
    try:
        for size in sizes:
            print(f"\n== {size:,} vectors of {args.dim} dimensions")
            vectors = unit_vectors(size, args.dim, size, args.intrinsic_dim)
            queries = unit_vectors(args.queries, args.dim, 1, args.intrinsic_dim)
            exact = bench_numpy(vectors, queries, args.limit, args.repeat)
            if conn is not None:
                bench_pgvector(conn, vectors, queries, exact, args)
            del vectors
    finally:
        if conn is not None:
            conn.close()


if __name__ == "__main__":
    main()
