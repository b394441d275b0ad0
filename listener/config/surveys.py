"""`[[surveys]]`: survey exports the daemon imports when it starts (issue 14)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from listener.config.base import StrictModel
from listener.config.types import ConfigPath
from listener.core.survey_files import SurveyFormat
from listener.core.surveys import SurveyKind


class SurveyFileConfig(StrictModel):
    """A survey export to import at every daemon start, the same as `listener surveys import FILE`.

    Imports are idempotent, so importing at each start costs only the file's read and adds only the
    answers that are new since: a file that an export job overwrites is picked up on the next start.
    """

    file: ConfigPath = Field(min_length=1, description="The CSV export, relative to the config file.")
    kind: SurveyKind = Field(description="nps, csat or ces: which question the score column answers.")
    brand: str = Field(min_length=1, description="The configured brand the answers are about.")
    format: SurveyFormat | Literal["auto"] = Field(
        "auto", description="surveymonkey, typeform, qualtrics or plain; auto tells them apart by their headers."
    )
