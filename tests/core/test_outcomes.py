from __future__ import annotations

from xl_mailer.core.models import Outcome
from xl_mailer.core.outcomes import create_outcome


def test_an_answer_that_names_a_job_is_never_a_clean_refusal() -> None:
    refused_with_id = create_outcome(400, root="job", code=9, description="odd", job_id=246001)
    assert (refused_with_id.outcome, refused_with_id.job_id) == (Outcome.UNKNOWN, 246001)
    ok_without_201 = create_outcome(200, root="job", code=0, description="", job_id=246002)
    assert (ok_without_201.outcome, ok_without_201.job_id) == (Outcome.UNKNOWN, 246002)
