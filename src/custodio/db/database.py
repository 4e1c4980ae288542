"""The catalog database: one writer thread with group commit, readers per thread.

Every change goes through :meth:`Database.write`: the caller hands over a function of a
:class:`~custodio.db.engine.Tx`, and the single writer thread runs it inside a
transaction. While one transaction commits, new requests queue up; the writer then runs
all of them in the next transaction, each inside its own savepoint, and commits once (one
fsync for the batch). A request that raises is rolled back to its savepoint and gets its
exception; the others commit. :meth:`write` returns only after the commit is durable, so
a change and the audit entry written in the same function succeed or fail together.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from custodio.db.engine import Connection, Tx, Url, connect, wrap_errors
from custodio.errors import CatalogError

T = TypeVar("T")

_STOP = object()


@dataclass
class _Request:
    fn: Callable[[Tx], Any]
    future: Future[Any] = field(default_factory=Future)


class Database:
    def __init__(self, url: str, *, batch_max: int = 256) -> None:
        self.url = Url.parse(url)
        self.dialect = self.url.dialect
        self._batch_max = batch_max
        self._queue: queue.Queue[_Request | object] = queue.Queue()
        self._local = threading.local()
        self._readers: list[Connection] = []
        self._readers_lock = threading.Lock()
        self._writer_conn = connect(self.url)
        self._thread = threading.Thread(target=self._write_loop, name="catalog-writer", daemon=True)
        self._thread.start()
        self._closed = False

    # -- writing -----------------------------------------------------------------------

    def write(self, fn: Callable[[Tx], T]) -> T:
        """Run ``fn`` in a write transaction; return its result once committed."""
        return self.submit(fn).result()

    def submit(self, fn: Callable[[Tx], T]) -> Future[T]:
        if self._closed:
            raise CatalogError("the catalog is closed")
        request = _Request(fn)
        self._queue.put(request)
        return request.future

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            while len(batch) < self._batch_max:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(nxt)
            self._commit_batch([r for r in batch if isinstance(r, _Request)])

    def _commit_batch(self, batch: list[_Request]) -> None:
        tx = Tx(self._writer_conn, self.dialect)
        results: list[tuple[_Request, Any, BaseException | None]] = []
        try:
            tx.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
            for request in batch:
                results.append((request, *self._run_in_savepoint(tx, request.fn)))
            tx.execute("COMMIT")
        except BaseException as e:  # the commit itself failed: nobody's change is stored
            self._rollback()
            error = (
                e if isinstance(e, CatalogError) else CatalogError(f"catalog commit failed: {e}")
            )
            for request in batch:
                request.future.set_exception(error)
            return
        for request, result, exc in results:
            if exc is None:
                request.future.set_result(result)
            else:
                request.future.set_exception(exc)

    @staticmethod
    def _run_in_savepoint(tx: Tx, fn: Callable[[Tx], Any]) -> tuple[Any, BaseException | None]:
        tx.execute("SAVEPOINT request")
        try:
            result = fn(tx)
        except Exception as e:
            tx.execute("ROLLBACK TO SAVEPOINT request")
            tx.execute("RELEASE SAVEPOINT request")
            return None, e
        tx.execute("RELEASE SAVEPOINT request")
        return result, None

    def _rollback(self) -> None:
        with contextlib.suppress(CatalogError):
            Tx(self._writer_conn, self.dialect).execute("ROLLBACK")

    # -- reading -----------------------------------------------------------------------

    def read(self, fn: Callable[[Tx], T]) -> T:
        """Run ``fn`` on this thread's reader connection, inside one read snapshot.

        The transaction is read-only (SQLite's ``query_only``, PostgreSQL's ``READ
        ONLY``): a change attempted here fails instead of being rolled back unseen."""
        tx = Tx(self._reader(), self.dialect)
        tx.execute("BEGIN" if self.dialect == "sqlite" else "BEGIN READ ONLY")
        try:
            return fn(tx)
        finally:
            tx.execute("ROLLBACK")

    def _reader(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.url)
            if self.dialect == "sqlite":
                Tx(conn, self.dialect).execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    # -- life cycle --------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()
        with wrap_errors():
            self._writer_conn.close()
            with self._readers_lock:
                for conn in self._readers:
                    conn.close()
                self._readers.clear()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
