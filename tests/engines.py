"""Throwaway engines for the warehouse tests: a PostgreSQL cluster in a temporary folder on a free loopback port,
one small Spark session in local mode and a Spark Connect server; plus the generated sales data every engine is fed."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PASSWORD = "s3cret-Pa55"  # the throwaway cluster's superuser password (tests check it never leaks)
HEADER = ["单据日期", "单据编号", "客户名称", "货品名称", "价税合计", "区域", "业务员"]
THRESHOLDS = [10_000, 50_000, 100_000, 200_000]
INJECTION = "x' OR '1'='1"
IN_CI = bool(os.environ.get("CI"))


# A DuckDB view no one could wait for (a quadrillion rows of text lines): only Cancel or the time limit ends it
SLOW_VIEW = """CREATE VIEW slow AS SELECT '2025-01-0' || CAST(range % 9 + 1 AS VARCHAR) AS 单据日期,
                      '客户' || CAST(range % 50 AS VARCHAR) AS 客户名称, '门锁' AS 货品名称,
                      CAST(range % 1000 + 1 AS VARCHAR) AS 价税合计
               FROM range(1000000000000000)"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """initdb + postgres as an unprivileged user (they refuse to run as root) in `root`, torn down by stop()."""

    def __init__(self, root: Path | None = None) -> None:
        import tempfile

        # its own folder under the system temp dir: pytest's folders are private to root, postgres could not enter
        self.root = root or Path(tempfile.mkdtemp(prefix="funnel-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> PostgresCluster:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        pwfile = self.root / "pw"
        pwfile.write_text(PG_PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "funnel", "-A", "scram-sha-256",
            f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60", "-o",
            f"-p {self.port} -h 127.0.0.1 -k {self.root} -c fsync=off -c shared_buffers=16MB", "start",
        )  # fmt: skip
        return self

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://funnel@127.0.0.1:{self.port}/{db}"

    def connect(self):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="funnel", password=PG_PASSWORD, dbname="postgres", autocommit=True
        )

    def load(self, table: str, columns: list[str], types: list[str], rows: list[list[object]]) -> None:
        """Create and fill a table (the test's own setup connection; the product only ever reads)."""
        with self.connect() as con:
            cols = ", ".join(f'"{c}" {t}' for c, t in zip(columns, types, strict=True))
            con.execute(f'DROP TABLE IF EXISTS "{table}"')
            con.execute(f'CREATE TABLE "{table}" ({cols})')
            with con.cursor().copy(f'COPY "{table}" FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)

    def stop(self) -> None:
        try:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def postgres_available() -> bool:
    return (PG_BIN / "initdb").exists()


def spark_available() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


def spark_connect_available() -> bool:
    """pyspark 4 with its Connect client extra (grpcio & co.) and its server jar, and a Java runtime."""
    if not spark_available():
        return False
    try:
        import pyspark
        import pyspark.sql.connect.session  # fails without grpcio, grpcio-status, zstandard…
    except ImportError:
        return False
    return any((Path(pyspark.__file__).parent / "jars").glob("spark-connect_*.jar"))


class ConnectServer:
    """A Spark Connect server as a user's lakehouse would run one (SparkConnectServer through spark-submit, here
    local[1] with 512 MB) on a free loopback port; its warehouse, metastore, scratch and log in `root`; stop() ends it
    (its own process group: spark-submit hands over to the JVM)."""

    CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"sc://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, seconds: float = 240) -> ConnectServer:
        import pyspark

        home = Path(pyspark.__file__).parent
        for folder in ("warehouse", "scratch", "tmp", "derby"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        conf = {
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(self.port),
            "spark.ui.enabled": "false",
            "spark.sql.warehouse.dir": str(self.root / "warehouse"),
            "spark.local.dir": str(self.root / "scratch"),
            "spark.sql.shuffle.partitions": "1",
            "spark.default.parallelism": "1",
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={self.root / 'derby'} "
            f"-Djava.io.tmpdir={self.root / 'tmp'}",
        }
        command = [str(home / "bin" / "spark-submit"), "--master", "local[1]", "--driver-memory", "512m",
                   "--class", self.CLASS, "--name", "funnel-test-connect"]  # fmt: skip
        for key, value in conf.items():
            command += ["--conf", f"{key}={value}"]
        env = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED")}
        env.update(SPARK_HOME=str(home), SPARK_LOCAL_IP="127.0.0.1")
        self.log = self.root / "server.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*command, "spark-internal"], cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Spark Connect server ended: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the Spark Connect server did not listen within {seconds} s")

    def session(self):
        """A client session of the test's own (to create tables; the product opens its own)."""
        from pyspark.sql.connect.session import SparkSession  # (pyspark.sql's builder: see funnel.engine)

        return SparkSession.builder.remote(self.url).create()

    def load(self, table: str, header: list[str], rows: list[list[object]]) -> None:
        """A managed all-text table in the server's warehouse (saveAsTable), as a lakehouse table looks."""
        session = self.session()
        try:
            schema = ", ".join("`" + h.replace("`", "``") + "` string" for h in header)
            data = [[None if v is None or v == "" else str(v) for v in r] for r in rows]
            session.createDataFrame(data, schema=schema).write.mode("overwrite").saveAsTable(table)
        finally:
            session.stop()

    def stop(self) -> None:
        import signal

        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)


def absent(engine: str) -> None:
    """Locally an absent engine skips with its reason; in CI every engine must be there."""
    import pytest

    message = f"{engine} is not installed on this machine (.ci/run installs it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def wait_for(predicate, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not predicate():
        time.sleep(0.2)


# --- generated sales data -------------------------------------------------------------------------------------


def _money_text(amount: Decimal, rng: random.Random) -> str:
    """An amount as ERPs write it: plain, thousands separators, currency, negative in brackets or trailing minus."""
    style = rng.randrange(6)
    if amount < 0 and style in (0, 1):
        return f"({-amount:,.2f})" if style == 0 else f"{-amount:.2f}-"
    return [f"{amount:.2f}", f"{amount:,.2f}", f"¥{amount:,.2f}", f"{amount}", f"{amount:.2f}", f"{amount}元"][style]


def sales_rows(seed: int = 13, customers: int = 60, lines: int = 900) -> list[list[object]]:
    """Text rows (header first) like an ERP export: returns, amounts summing exactly to thresholds, text amounts
    in several styles, dates in several styles, bad dates and amounts, blanks, total rows, empty rows, and a
    product whose name tries to break out of a SQL string."""
    rng = random.Random(seed)
    names = [f"华{i:03d}贸易有限公司" for i in range(customers)]
    products = ["门锁", "摄像机", "Alarm Kit", INJECTION]
    regions, reps = ["华东", "华北", "华南"], ["张三", "李四", "王五"]
    start = date(2024, 1, 1)
    rows: list[list[object]] = [HEADER]

    def day_text(d: date) -> str:
        return [d.isoformat(), f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日", d.strftime("%Y%m%d")][
            rng.randrange(4)
        ]

    for i in range(lines):
        c = rng.randrange(customers)
        d = start + timedelta(days=rng.randrange(730))
        cents = rng.randrange(-200_000, 3_000_000) if rng.random() < 0.1 else rng.randrange(1_000, 3_000_000)
        amount = (Decimal(cents) / 100).quantize(Decimal("0.01"))
        rows.append(
            [day_text(d), f"XS{i // 3:05d}", names[c], rng.choice(products), _money_text(amount, rng),
             regions[c % 3], reps[(c + i % 2) % 3]]
        )  # fmt: skip
    # customers whose net totals sit exactly on each threshold (in 2025, so the period tests see them too)
    for k, threshold in enumerate(THRESHOLDS):
        name = f"门槛客户{k}"
        part = Decimal(threshold) / 4
        for j in range(3):
            rows.append([f"2025-0{j + 1}-15", f"TH{k}{j}", name, "门锁", f"{part:.2f}", "华东", "张三"])
        rows.append(["2025-04-15", f"TH{k}9", name, "门锁", f"{Decimal(threshold) - 3 * part:.2f}", "华东", "张三"])
    # rows the engines must leave out, each under its reason
    rows += [
        ["2025-05-01", "XB1", "", "门锁", "100.00", "华北", "李四"],  # blank customer
        ["2025-05-02", "XB2", "华001贸易有限公司", "", "100.00", "华北", "李四"],  # blank product
        ["2025-05-03", "XB3", "华002贸易有限公司", "门锁", "n/a", "华北", "李四"],  # bad amount
        ["2025-05-04", "XB4", "华003贸易有限公司", "门锁", "", "华北", "李四"],  # blank amount
        ["2025-02-29", "XB5", "华004贸易有限公司", "门锁", "100.00", "华北", "李四"],  # impossible date
        ["", "XB6", "华005贸易有限公司", "门锁", "100.00", "华北", "李四"],  # blank date
        ["小计", "", "", "", "12345.00", "", ""],  # subtotal
        ["", "", "", "", "", "", ""],  # empty row
        ["合计", "", "", "", "99999.00", "", ""],  # total
    ]
    return rows


# --- generated pipeline data ---------------------------------------------------------------------------------

DEAL_STAGES = ["潜在客户", "初步接触", "意向", "提案", "谈判", "成交"]
LOST_STAGE = "输单"
DEAL_HEADER = ["商机编号", "客户名称", "阶段", "金额", "赢率", "预计签单日期", "业务员"]


def deal_rows(seed: int = 7, n: int = 460) -> list[list[str]]:
    """A CRM export (one row per deal, its current stage): amounts with separators and ¥, win rates as '30%',
    close dates over 2026, some won and lost deals, a few deals at a stage named like a SQL injection."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        r = rng.random()
        stage = DEAL_STAGES[-1] if r < 0.12 else LOST_STAGE if r < 0.25 else INJECTION if r < 0.28 else None
        stage = stage or rng.choice(DEAL_STAGES[:-1])
        cents = rng.randrange(100_000, 90_000_000)
        amount = [f"{cents / 100:.2f}", f"{cents / 100:,.2f}", f"¥{cents / 100:,.2f}"][i % 3]
        p = {DEAL_STAGES[-1]: 100, LOST_STAGE: 0}.get(stage, rng.choice([10, 20, 30, 50, 70, 90]))
        close = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        rows.append([f"D{i:05d}", f"客户{rng.randrange(90):03d}", stage, amount, f"{p}%", close.isoformat(),
                     rng.choice(["张三", "李四", "王五"])])  # fmt: skip
    return rows


def parse_amount(text: str) -> Decimal | None:
    """Independent reading of the generator's amount styles (no package code)."""
    t = text.strip().replace("¥", "").replace("元", "").replace(",", "")
    if not t:
        return None
    negative = t.startswith("(") or t.endswith("-")
    t = t.strip("()").rstrip("-")
    try:
        value = Decimal(t)
    except ArithmeticError:
        return None
    return -value if negative else value


def parse_day(text: str) -> date | None:
    """Independent reading of the generator's date styles."""
    t = text.strip().replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-")
    if len(t) == 8 and t.isdigit():
        t = f"{t[:4]}-{t[4:6]}-{t[6:]}"
    try:
        y, m, d = (int(x) for x in t.split("-"))
        return date(y, m, d)
    except ValueError:
        return None


def independent_lines(rows: list[list[object]]) -> list[tuple[str, str, Decimal, date]]:
    """(customer, product, amount, date) of the rows a careful person would use, by hand."""
    out = []
    for row in rows[1:]:
        day, _, customer, product, amount, _, _ = (str(v or "") for v in row)
        if not customer.strip() or not product.strip() or customer.strip() in ("小计", "合计"):
            continue
        if day.strip() in ("小计", "合计"):
            continue
        value, when = parse_amount(amount), parse_day(day)
        if value is None or when is None:
            continue
        out.append((customer.strip(), product.strip(), value, when))
    return out


def independent_bands(lines, thresholds=THRESHOLDS, products=None, start=None, end=None):
    """Band counts and sums (Decimal) from the independent lines."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for customer, product, value, when in lines:
        if products and product not in products:
            continue
        if (start and when < start) or (end and when > end):
            continue
        totals[customer] += value
    counts = [0] * (len(thresholds) + 1)
    sums = [Decimal(0)] * (len(thresholds) + 1)
    for value in totals.values():
        band = sum(1 for t in thresholds if value >= t)
        counts[band] += 1
        sums[band] += value
    return totals, counts, sums


def cents(value: Decimal) -> int:
    return int((value * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def text_sources(folder: Path, name: str, header: list[str], rows: list[list[str]], table: str) -> dict[str, str]:
    """The same rows as a CSV file, an all-text Parquet file and a DuckDB database holding them as `table`."""
    import csv

    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    paths = {k: folder / f"{name}.{k}" for k in ("csv", "parquet", "duckdb")}
    with paths["csv"].open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    columns = {h: pa.array([r[i] or None for r in rows], pa.string()) for i, h in enumerate(header)}
    pq.write_table(pa.table(columns), paths["parquet"])
    with duckdb.connect(str(paths["duckdb"])) as con:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{paths['parquet']}')")
    return {k: str(v) for k, v in paths.items()}


@contextmanager
def text_cluster(exports: dict[str, dict]) -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster holding each export (header, rows) as an all-text table named after it."""
    cluster = PostgresCluster().start()
    try:
        for kind, export in exports.items():
            rows = [[v or None for v in r] for r in export["rows"]]
            cluster.load(kind, export["header"], ["text"] * len(export["header"]), rows)
        yield cluster
    finally:
        cluster.stop()
