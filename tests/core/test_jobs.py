"""Background work on the real Redis (and both databases): the outbox and its relay, webhooks,
notifications, and the faults: a worker killed mid-job, Redis away, a job that keeps failing."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fakeredis
import pytest
from redis import Redis
from rq import SimpleWorker
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

from core.jobs import tasks
from core.jobs.runtime import Runtime, install, redis_for
from core.jobs.schedule import lease_key, run_cron, start_in_process
from core.models import Delivery, OutboxMessage
from core.webhooks import verify
from tests.support import REDIS_URL, need_service

# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> str:
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        need_service("Redis", str(exc))
    return REDIS_URL


@pytest.fixture
def runtime(app, redis_url, monkeypatch):
    """This app's runtime on the real Redis, with a queue of its own (the server is shared)."""
    core = app.extensions["casecore"]
    config = dataclasses.replace(
        core.config, redis_url=redis_url, queue_name=f"casecore-test-{secrets.token_hex(4)}"
    )
    rt = install(Runtime(config, core.db, core.plugins, Redis.from_url(redis_url)))
    monkeypatch.setattr(tasks, "RETRY_INTERVALS", [0, 0])  # retry at once, twice
    yield rt
    queue = rt.queue
    for key in rt.redis.scan_iter(f"*{queue.name}*"):
        rt.redis.delete(key)


def work(rt: Runtime) -> None:
    SimpleWorker([rt.queue], connection=rt.redis).work(burst=True, logging_level="WARNING")


class Receiver:
    """A local webhook endpoint: records what it accepted; answers ``statuses`` in turn."""

    def __init__(self, statuses=(200,), hold_first: bool = False):
        self.accepted: list[dict] = []
        self.seen = 0
        self.statuses = list(statuses)
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        self.hold_first = hold_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.seen += 1
                if receiver.hold_first and receiver.seen == 1:
                    receiver.first_arrived.set()
                    receiver.release.wait(30)
                    status = 500  # its worker is dead: nobody hears this answer
                else:
                    status = receiver.statuses[min(receiver.seen - 1, len(receiver.statuses) - 1)]
                if status == 200:
                    receiver.accepted.append({"headers": dict(self.headers), "body": body})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.release.set()
        self.server.shutdown()


@pytest.fixture
def receiver():
    made = []

    def make(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


def add_webhook(client, tenant, url, events=("*",)) -> dict:
    response = client.post(
        "/api/v1/webhooks", json={"url": url, "events": list(events)}, headers=tenant.auth("admin")
    )
    assert response.status_code == 201, response.json
    return response.json


def pending(db) -> int:
    with db.unscoped("test: pending outbox") as session:
        return session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dispatched_at.is_(None))
        )


def deliveries(db, tenant) -> list[Delivery]:
    with db.session(tenant.id) as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.created_at)))


# --- the outbox ------------------------------------------------------------------------------


def test_the_outbox_is_written_with_the_change_and_only_then(client, db, make_tenant, make_case):
    acme = make_tenant("acme")
    make_case(acme)
    assert pending(db) == 1  # the "opened" event
    refused = client.post(
        "/api/v1/cases",
        json={
            "kind": "complaint",
            "title": "x",
            "channel": "phone",
            "customer": {"name": "a"},
            "data": {"retail": {}},
        },
        headers=acme.auth("agent"),
    )
    assert refused.status_code == 422
    assert pending(db) == 1  # a refused change leaves no message behind


def test_webhooks_are_signed_delivered_once_and_logged(
    client, db, runtime, receiver, make_tenant, make_case, act
):
    acme = make_tenant("acme")
    endpoint = receiver()
    hook = add_webhook(client, acme, endpoint.url, events=["acknowledge"])
    case = make_case(acme)
    act(acme, case, "acknowledge")
    assert tasks.relay() == 2  # opened, acknowledge
    work(runtime)
    assert len(endpoint.accepted) == 1  # only the event it asked for
    delivered = endpoint.accepted[0]
    assert verify(hook["secret"], delivered["headers"]["X-Casecore-Signature"], delivered["body"])
    payload = json.loads(delivered["body"])
    assert payload["event"] == "acknowledge" and payload["case"]["id"] == case["id"]
    assert payload["tenant"] == "acme"
    # the same message handled again (a retry after a crash) sends nothing twice
    message_id = next(iter(_messages(db, acme, "acknowledge")))
    runtime.queue.enqueue(tasks.deliver_webhook, acme.id, message_id, hook["id"])
    work(runtime)
    assert len(endpoint.accepted) == 1
    [log] = [d for d in deliveries(db, acme) if d.channel == "webhook"]
    assert (log.status, log.attempts, log.response_status) == ("sent", 1, 200)


def _messages(db, tenant, event_type: str) -> list[str]:
    with db.session(tenant.id) as session:
        return [
            m.id
            for m in session.scalars(select(OutboxMessage))
            if m.payload.get("type") == event_type
        ]


# --- notifications ---------------------------------------------------------------------------


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    handler = Handler()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}?from=service@acme.example", handler.messages
    controller.stop()


def wait_until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_customers_and_staff_are_told_by_email(
    client, db, runtime, smtp_server, make_tenant, make_case, act, named_token
):
    smtp_url, inbox = smtp_server
    install(
        dataclasses.replace(runtime, config=dataclasses.replace(runtime.config, smtp_url=smtp_url))
    )
    acme = make_tenant("acme")
    case = make_case(acme, customer={"name": "张三", "email": "zhang@example.com"})
    act(acme, case, "acknowledge", headers=named_token(acme, "li@acme.example", "agent"))
    act(acme, case, "investigate")
    act(acme, case, "assign_department", department="售后")
    act(acme, case, "propose", proposal="更换新机")
    tasks.relay()
    work(runtime)
    wait_until(lambda: len(inbox) == 2)  # the test server files mail on its own thread
    subjects = sorted(subject(m) for m in inbox)
    assert subjects == sorted(
        [f"请确认处理方案（{case['number']}）", f"您的反馈已受理（{case['number']}）"]
    )
    proposal = next(m for m in inbox if "方案" in subject(m))
    text = proposal.get_payload(decode=True).decode()
    assert "更换新机" in text and f"/p/acme/track?number={case['number']}" in text
    assert proposal["To"] == "zhang@example.com"


def test_without_smtp_mail_is_held_not_lost(db, runtime, make_tenant, make_case, act):
    acme = make_tenant("acme")
    case = make_case(acme, customer={"name": "Ann", "email": "ann@example.com"})
    act(acme, case, "acknowledge")
    tasks.relay()
    work(runtime)
    [log] = deliveries(db, acme)
    assert (log.target, log.status) == ("email:ann@example.com", "held")


# --- faults ----------------------------------------------------------------------------------


postgres_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@postgres_only
def test_a_worker_killed_mid_job_is_finished_once_by_another(
    client, db, backend, runtime, receiver, make_tenant, make_case, tmp_path
):
    acme = make_tenant("acme")
    endpoint = receiver(hold_first=True)
    add_webhook(client, acme, endpoint.url)
    make_case(acme)
    tasks.relay()
    [message_id] = _messages(db, acme, "opened")
    tasks.handle_message(acme.id, message_id)  # queues the delivery job
    env = {
        **os.environ,
        "DATABASE_URL": backend.app_url,
        "DATABASE_ADMIN_URL": backend.admin_url,
        "REDIS_URL": runtime.config.redis_url,
        "CASECORE_QUEUE": runtime.queue.name,
        "CASECORE_INSTANCE": str(tmp_path),
    }
    command = [sys.executable, "-m", "core.cli", "worker"]
    first = subprocess.Popen(
        command,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert endpoint.first_arrived.wait(60), "the first worker never started the job"
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its work horse, mid-request
        first.wait(10)
    finally:
        endpoint.release.set()
    assert endpoint.accepted == []
    # rq finds the abandoned job (here at once rather than after its timeout) and retries it
    StartedJobRegistry(queue=runtime.queue).cleanup(timestamp=time.time() + 10**6)
    second = subprocess.run([*command, "--burst"], env=env, timeout=120, capture_output=True)
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    assert len(endpoint.accepted) == 1
    [log] = deliveries(db, acme)
    assert (log.status, log.attempts) == ("sent", 2)
    assert endpoint.accepted[0]["headers"]["X-Casecore-Delivery"] == log.id


def test_a_worker_rides_out_a_redis_outage_and_stops_cleanly_on_sigterm(backend, runtime, tmp_path):
    """The worker's connection has no read timeout (an idle worker waits minutes for a job);
    Redis going away is waited out, not a reason to quit; SIGTERM ends it with exit 0, its log
    on stderr."""
    assert (
        redis_for(runtime.config, worker=True).connection_pool.connection_kwargs["socket_timeout"]
        is None
    )
    proxy = Proxy()
    env = {
        **os.environ,
        "DATABASE_URL": backend.app_url,
        "DATABASE_ADMIN_URL": backend.admin_url,
        "REDIS_URL": f"redis://127.0.0.1:{proxy.port}/0",
        "CASECORE_QUEUE": runtime.queue.name,
        "CASECORE_INSTANCE": str(tmp_path),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(3)  # started, waiting for jobs
        proxy.close()
        time.sleep(3)
        assert worker.poll() is None  # still there, retrying
        proxy.open()
        job = runtime.queue.enqueue(tasks.relay)
        wait_until(lambda: job.get_status(refresh=True) == "finished", seconds=60)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
        proxy.close()
    assert worker.returncode == 0, err.decode()[-2000:]
    assert out == b"" and b"started" in err  # rq's log too went to stderr


def test_deployments_sharing_a_redis_each_run_their_periodic_jobs(runtime):
    other = Runtime(
        dataclasses.replace(runtime.config, queue_name=f"{runtime.queue.name}-other"),
        runtime.db,
        runtime.plugins,
        runtime.redis,
    )
    stop = threading.Event()
    loops = [threading.Thread(target=run_cron, args=(rt, stop, 0.1)) for rt in (runtime, other)]
    for loop in loops:
        loop.start()
    try:
        wait_until(lambda: runtime.queue.count and other.queue.count)
    finally:
        stop.set()
        for loop in loops:
            loop.join(5)
        for key in runtime.redis.scan_iter(f"*{other.queue.name}*"):
            runtime.redis.delete(key)
    assert runtime.redis.get(lease_key(runtime)) is None  # handed on when the loop ended


class Proxy:
    """A TCP proxy to Redis that the test can close and open again on the same port."""

    def __init__(self, upstream=("127.0.0.1", 6379)):
        self.upstream = upstream
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.open()

    def open(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen()
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self):
        with contextlib.suppress(OSError):  # wakes the thread blocked in accept()
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.sockets.clear()


def test_cases_are_accepted_while_redis_is_away_and_their_jobs_follow(
    client, db, redis_url, runtime, receiver, make_tenant, make_case
):
    proxy = Proxy()
    away = Redis(host="127.0.0.1", port=proxy.port, socket_connect_timeout=1, socket_timeout=2)
    rt = install(dataclasses.replace(runtime, redis=away))
    acme = make_tenant("acme")
    endpoint = receiver()
    add_webhook(client, acme, endpoint.url)
    proxy.close()
    try:
        make_case(acme)  # Redis is not on the request's path
        with pytest.raises(Exception, match="(?i)connect|closed|refused|timeout"):
            tasks.relay()
        assert pending(db) == 1  # nothing marked: the message waits
    finally:
        proxy.open()
    assert tasks.relay() == 1
    work(rt)
    assert len(endpoint.accepted) == 1
    proxy.close()


def test_a_job_that_keeps_failing_ends_in_the_failed_registry_and_nothing_else_stops(
    client, db, runtime, receiver, make_tenant, make_case
):
    acme = make_tenant("acme")
    broken, fine = receiver(statuses=(500,)), receiver()
    add_webhook(client, acme, broken.url)
    add_webhook(client, acme, fine.url)
    make_case(acme)
    tasks.relay()
    work(runtime)
    assert broken.seen == 3  # the first try and two retries
    assert len(fine.accepted) == 1
    failed = FailedJobRegistry(queue=runtime.queue)
    [job_id] = failed.get_job_ids()
    job = runtime.queue.fetch_job(job_id)
    assert "answered 500" in job.latest_result().exc_string
    logs = {d.target.split(":")[0]: d for d in deliveries(db, acme)}
    assert logs["webhook"].status in ("failed", "sent")
    assert sorted(d.status for d in deliveries(db, acme)) == ["failed", "sent"]


# --- the embedded default: jobs in the web process --------------------------------------------


def test_without_redis_jobs_and_their_retries_run_in_the_web_process(
    app, client, receiver, make_tenant, make_case, monkeypatch
):
    """No REDIS_URL: the web process runs the relay, the jobs and their retries itself (a
    thread, on an in-memory Redis), as ``casecore serve`` and the demo do."""
    core = app.extensions["casecore"]
    assert core.config.redis_url is None
    monkeypatch.setattr(tasks, "RETRY_INTERVALS", [1, 1])
    memory = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    stop = start_in_process(Runtime(core.config, core.db, core.plugins, memory))
    try:
        acme = make_tenant("acme")
        endpoint = receiver(statuses=(500, 200))  # refuses once: the retry must come
        add_webhook(client, acme, endpoint.url, events=["opened"])
        case = make_case(acme)
        wait_until(lambda: len(endpoint.accepted) == 1, seconds=20)
        payload = json.loads(endpoint.accepted[0]["body"])
        assert (payload["event"], payload["case"]["id"]) == ("opened", case["id"])
        assert endpoint.seen == 2
    finally:
        stop.set()
    running = ("casecore-worker", "casecore-cron")
    wait_until(lambda: not [t for t in threading.enumerate() if t.name in running], seconds=5)
