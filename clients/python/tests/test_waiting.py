"""The waiting machines as tables: events in, actions out, on a fake clock (no I/O)."""

import pytest

from jobstatus_client import JobStatusError, JobStatusUnavailable, WaitTimeout
from jobstatus_client.generated.models import (
    ErrorEnvelope,
    JobEnvelope,
    JobListEnvelope,
    JobWithLinksEnvelope,
    ProcessedJobWithLinks,
)
from jobstatus_client.waiting import Ask, Fail, Finish, JobWait, ListWait, Sleep

META = {"code": 200, "url": "http://x/api/jobs/a", "type": "object", "request_id": "r"}
ETA = "2026-12-07T10:00:00.000Z"
PENDING = JobEnvelope.from_dict({"data": {"status": "pending", "eta": ETA, "links": [{"entity": "job", "href": "/api/jobs/a"}]}, "meta": META})
LINKED = JobWithLinksEnvelope.from_dict({"data": {"status": "processed", "eta": ETA, "status_code": "200", "links": [{"entity": "encounter", "href": "/e/1"}]}, "meta": {**META, "code": 303}})
NOT_FOUND = ErrorEnvelope.from_dict({"error": {"type": "not_found", "message": "Job not found"}, "meta": {**META, "code": 404}})
DENIED = ErrorEnvelope.from_dict({"error": {"type": "access_denied", "message": "Invalid access token"}, "meta": {**META, "code": 401}})
HELD = {"preference-applied": "wait=30", "etag": 'W/"2.1"'}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def job_wait(timeout=None, **options):
    clock = Clock()
    return JobWait("a", timeout=timeout, clock=clock, **options), clock


# (the answers given in turn — status, headers, parsed — and the action expected after each)
JOB_TABLE = [
    ("held pending, then the tag is sent back",
     [(200, HELD, PENDING)], [Ask(30, 'W/"2.1"')]),
    ("a held 304 is asked again at once, with the same tag",
     [(200, HELD, PENDING), (304, {"preference-applied": "wait=30"}, None)], [Ask(30, 'W/"2.1"'), Ask(30, 'W/"2.1"')]),
    ("not held (long polls off): sleep Retry-After",
     [(200, {"retry-after": "7", "etag": 'W/"2.1"'}, PENDING)], [Sleep(7.0)]),
    ("wait=0 applied is not held either",
     [(304, {"preference-applied": "wait=0", "retry-after": "3"}, None)], [Sleep(3.0)]),
    ("429 sleeps its Retry-After", [(429, {"retry-after": "4"}, None)], [Sleep(4.0)]),
    ("503 sleeps its Retry-After", [(503, {"retry-after": "2"}, None)], [Sleep(2.0)]),
    ("a load balancer's 502 without Retry-After: one second", [(502, {}, None)], [Sleep(1.0)]),
]


@pytest.mark.parametrize("name,answers,expected", JOB_TABLE, ids=[row[0] for row in JOB_TABLE])
def test_job_wait_table(name, answers, expected):
    machine, _ = job_wait()
    assert machine.start() == Ask(30, None)
    for (status, headers, parsed), action in zip(answers, expected):
        assert machine.answered(status, headers, parsed) == action


def test_303_finishes_with_typed_links_and_is_never_followed():
    machine, _ = job_wait()
    machine.start()
    action = machine.answered(303, {"etag": 'W/"3.1"'}, LINKED)
    assert isinstance(action, Finish)
    assert isinstance(action.result.state, ProcessedJobWithLinks)
    assert [(link.entity, link.href) for link in action.result.links] == [("encounter", "/e/1")]
    assert action.result.status_code == 200 and action.result.etag == 'W/"3.1"'


def test_404_is_final_and_401_is_an_error():
    machine, _ = job_wait()
    found = machine.answered(404, {}, NOT_FOUND)
    assert isinstance(found, Finish) and (found.result.id, found.result.status, found.result.state) == ("a", "not_found", None)
    proxy = machine.answered(404, {}, ValueError("not JSON"))
    assert isinstance(proxy, Fail) and proxy.error.status == 404, "a 404 that is not the service's is no answer about the job"
    failed = machine.answered(401, {}, DENIED)
    assert isinstance(failed, Fail) and isinstance(failed.error, JobStatusError)
    assert (failed.error.status, failed.error.type) == (401, "access_denied")


def test_unreachable_backs_off_and_gives_up_after_max_retries():
    machine, _ = job_wait(max_retries=3)
    pauses = [machine.unreachable(OSError("refused")) for _ in range(4)]
    assert pauses[:3] == [Sleep(0.1), Sleep(0.2), Sleep(0.4)]
    assert isinstance(pauses[3], Fail) and isinstance(pauses[3].error, JobStatusUnavailable)


def test_an_answer_resets_the_failures():
    machine, _ = job_wait(max_retries=2)
    machine.unreachable(OSError())
    machine.unreachable(OSError())
    machine.answered(200, HELD, PENDING)
    assert machine.unreachable(OSError()) == Sleep(0.1)


def test_the_deadline_caps_holds_and_sleeps_and_ends_the_wait():
    machine, clock = job_wait(timeout=10)
    assert machine.start() == Ask(10, None)
    clock.now += 7.5
    assert machine.answered(200, HELD, PENDING) == Ask(2, 'W/"2.1"'), "2.5 s left: the whole seconds"
    assert machine.answered(429, {"retry-after": "30"}, None) == Sleep(2.5)
    clock.now += 2.0
    assert machine.slept() == Ask(0, 'W/"2.1"'), "less than a second left: not held"
    assert machine.answered(304, {"retry-after": "1"}, None) == Sleep(0.5), "then a sleep to the deadline"
    clock.now += 0.5
    ended = machine.slept()
    assert isinstance(ended, Fail) and isinstance(ended.error, WaitTimeout)
    assert ended.error.last.status == "pending"


def listing(*items, held=True, tag='W/"l0123456789abcdef"'):
    envelope = JobListEnvelope.from_dict({"data": list(items), "meta": {**META, "type": "list"}})
    return 200, ({"preference-applied": "wait=30"} if held else {"retry-after": "5"}) | {"etag": tag}, envelope


def pending_item(job_id):
    return {"id": job_id, "status": "pending", "eta": ETA, "links": [{"entity": "job", "href": f"/api/jobs/{job_id}"}]}


def done_item(job_id):
    return {"id": job_id, "status": "processed", "eta": ETA, "status_code": "200", "response_data": {"n": 1}}


def test_list_first_unheld_then_held_for_the_rest_handing_out_finished_jobs():
    machine = ListWait(["a", "b", "c", "a"], timeout=None, clock=Clock())
    assert machine.start() == Ask(0, None, ("a", "b", "c")), "an id listed twice is asked once; the first ask is not held"
    action = machine.answered(*listing(pending_item("a"), done_item("b"), {"id": "c", "status": "not_found"}, held=False))
    assert action == Ask(30, None, ("a",)), "finished ids are dropped; the rest is held, without the old list's tag"
    assert [(result.id, result.status) for result in machine.take_finished()] == [("b", "processed"), ("c", "not_found")]
    assert machine.take_finished() == []
    tagged = Ask(30, 'W/"l1"', ("a",))
    assert machine.answered(*listing(pending_item("a"), tag='W/"l1"')) == tagged, "woken by progress: the same list, with its tag"
    assert machine.answered(304, {"preference-applied": "wait=30"}, None) == tagged, "unchanged to the end of the hold"
    assert machine.answered(*listing(pending_item("a"), held=False, tag='W/"l1"')) == Sleep(5.0), "not held: Retry-After"
    assert machine.answered(*listing(done_item("a"))) == Finish(None)
    assert machine.take_finished()[0].response_data == {"n": 1}


def test_list_first_answer_with_nothing_finished_is_followed_by_the_held_ask_at_once():
    machine = ListWait(["a"], timeout=None, clock=Clock())
    machine.start()
    assert machine.answered(*listing(pending_item("a"), held=False)) == Ask(30, 'W/"l0123456789abcdef"', ("a",)), \
        "the first ask was not held on purpose: its Retry-After is no reason to sleep"


def test_a_list_answer_must_name_the_ids_asked():
    machine = ListWait(["a", "b"], timeout=None, clock=Clock())
    machine.start()
    failed = machine.answered(*listing(done_item("a")))
    assert isinstance(failed, Fail) and isinstance(failed.error, JobStatusError), "b left out: no endless asking"
    assert machine.take_finished() == []


def test_a_list_timeout_has_every_jobs_last_state():
    clock = Clock()
    machine = ListWait(["a", "b"], timeout=5, clock=clock)
    machine.start()
    machine.answered(*listing(pending_item("a"), done_item("b")))
    clock.now += 5
    ended = machine.slept()
    assert isinstance(ended, Fail) and isinstance(ended.error, WaitTimeout)
    assert {job_id: result.status for job_id, result in ended.error.last.items()} == {"a": "pending", "b": "processed"}


def test_list_refused():
    machine = ListWait(["a"], timeout=None, clock=Clock())
    machine.start()
    failed = machine.answered(401, {}, DENIED)
    assert isinstance(failed, Fail) and failed.error.status == 401
