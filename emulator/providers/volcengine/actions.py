"""The five mixing actions: each takes the caller and the JSON body and returns ``Result.Data``.

Business errors (choices where the docs are silent; docs/volcengine.md): an unknown TaskID, or another
account's, is ``ResourceNotFound`` (404); everything wrong in a body, a Name already used by a running task,
an Update of a task that is not running or that changes Output, is ``InvalidParameter`` (400).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from emulator.context import EmulatorContext
from emulator.core.job import MixJob
from emulator.core.tasks import Task, TaskLimitReached
from emulator.providers.volcengine import schema
from emulator.providers.volcengine.errors import VolcError, invalid
from emulator.providers.volcengine.gateway import PROVIDER, Caller
from emulator.providers.volcengine.mixjob import build_job, emulator_live_resolver
from emulator.providers.volcengine.sessions import (
    MixSession,
    SessionStore,
    Status,
    new_mesos_id,
    rfc3339,
    status_of,
)


class MixActions:
    def __init__(self, ctx: EmulatorContext, sessions: SessionStore) -> None:
        self.ctx = ctx
        self.sessions = sessions
        self._live = emulator_live_resolver(ctx)

    def run(self, action: str, caller: Caller, body: Any) -> Any:
        handler = {
            "CreateCloudMixTask": self.create,
            "UpdateCloudMixTask": self.update,
            "DeleteCloudMixTask": self.delete,
            "ListCloudMixTask": self.list,
            "GetCloudMixTaskDetail": self.detail,
        }[action]
        return handler(caller, body)

    # ----- helpers
    def task_of(self, session: MixSession) -> Task | None:
        return self.ctx.tasks.find(PROVIDER, session.task_id)

    def status(self, session: MixSession) -> Status:
        return status_of(self.task_of(session))

    def _session(self, caller: Caller, body: Any) -> MixSession:
        task_id = schema.parse_task_id(body)
        session = self.sessions.get(caller.account, task_id)
        if session is None:
            raise VolcError("ResourceNotFound", f"the cloud mix task [{task_id}] does not exist")
        return session

    def _is_running(self, session: MixSession) -> bool:
        task = self.task_of(session)
        return task is not None and task.state.active

    def _job(self, rules: schema.MixedRules, task_id: str) -> MixJob:
        vod_loop = bool(self.ctx.settings.provider_option(PROVIDER, "vod_loop", False))
        return build_job(rules, task_id=task_id, live=self._live, vod_loop=vod_loop)

    # ----- actions
    def create(self, caller: Caller, body: Any) -> dict[str, Any]:
        name = schema.parse_name(body)
        rules = schema.parse_rules(body)
        for other in self.sessions.unfinished(caller.account):
            if other.name == name and self._is_running(other):
                raise invalid("Name", f"{name!r} is the name of running task [{other.task_id}]")
        try:
            self.ctx.tasks.check_capacity()  # before the session exists: a refused create leaves nothing
        except TaskLimitReached as exc:
            raise VolcError("FlowLimitExceeded", str(exc)) from None
        task_id = self.sessions.new_task_id()
        now = self.ctx.clock.now()
        session = MixSession(task_id, name, caller.account, rules, now, now, new_mesos_id())
        self.sessions.add(session, is_done=lambda s: self.status(s) is Status.DONE)
        # The session exists before the task starts: the task's first events already find it.
        self.ctx.tasks.start(
            PROVIDER, task_id, self._job(rules, task_id), meta={"name": name, "account": caller.account}
        )
        return {"TaskID": task_id}

    def update(self, caller: Caller, body: Any) -> dict[str, Any]:
        session = self._session(caller, body)
        task = self.task_of(session)
        if task is None or not task.state.active:
            raise invalid(
                "TaskID", f"the task [{session.task_id}] is not running (status {self.status(session).value})"
            )
        # From here on the update is an operation of the task: it takes an index even if it is refused.
        session.last_operation_index += 1
        opt_id = session.last_operation_index
        rules = schema.parse_rules(body)
        schema.check_same_output(session.rules.output, rules.output)
        rules = dataclasses.replace(rules, output=session.rules.output)
        self.ctx.tasks.update(task.id, self._job(rules, session.task_id))
        session.rules = rules
        session.updated_at = self.ctx.clock.now()
        session.last_success_operation_index = opt_id
        return {"OptID": opt_id}

    def delete(self, caller: Caller, body: Any) -> str:
        session = self._session(caller, body)
        rows = 0
        if self._is_running(session):
            self.ctx.tasks.stop(f"{PROVIDER}:{session.task_id}")
            rows = 1
        return f"kill task [{session.task_id}] success,mesos id is [{session.mesos_id}],rowsAffect [{rows}]"

    def list(self, caller: Caller, body: Any) -> dict[str, Any]:
        page, size = schema.parse_page(body)
        chosen = self.sessions.of_account(caller.account, (page - 1) * size, size)
        return {"Count": self.sessions.count(caller.account), "Result": [self._summary(s) for s in chosen]}

    def _summary(self, session: MixSession) -> dict[str, Any]:
        task = self.task_of(session)
        return {
            "Name": session.name,
            "TaskID": session.task_id,
            "Status": status_of(task).value,
            "CreatedAt": {"Time": rfc3339(session.created_at)},
            "UpdatedAt": {"Time": rfc3339(session.updated_at)},
            "StoppedAt": {"Time": rfc3339(session.stopped_at)},
        }

    def detail(self, caller: Caller, body: Any) -> dict[str, Any]:
        session = self._session(caller, body)
        return {
            "TaskID": session.task_id,
            "Status": self.status(session).value,
            "Rule": json.dumps(session.rules.to_rule(), ensure_ascii=False),
            "LastOperationIndex": session.last_operation_index,
            "LastSuccessOperationIndex": session.last_success_operation_index,
        }
