"""Model Openness Tool records: evaluate them (MOT-exact or normalised), export audits as them.

- :mod:`trueopen.mot.records`: load a MOT model YAML safely and evaluate it as MOT does.
- :mod:`trueopen.mot.normalize`: free-text licence names -> trueopen licence ids, and a report.
- :mod:`trueopen.mot.export`: an :class:`~trueopen.record.Audit` as a MOT model record.
"""

from __future__ import annotations

from trueopen.mot.export import audit_to_mot, to_yaml
from trueopen.mot.normalize import normalise_license_name, report
from trueopen.mot.records import LicenseUse, MotEvaluation, evaluate_file, evaluate_record, load_record

__all__ = [
    "LicenseUse",
    "MotEvaluation",
    "audit_to_mot",
    "evaluate_file",
    "evaluate_record",
    "load_record",
    "normalise_license_name",
    "report",
    "to_yaml",
]
